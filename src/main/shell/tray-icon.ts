/** The tray icon: a black lens on transparent (a macOS template image; Electron tints it). 32×32 PNG. */
export const TRAY_ICON_DATA_URL =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAACAAAAAgCAYAAABzenr0AAAAcUlEQVR42u1XWw4AMARz/0vbFVDWxibxt1QnHmX2LWcedFrgdiLe5NTgJRIIEEyiK41lnM5iSmNNVHIKc6qfQ7jZ3yNvHQGsttsOAsjQ+QR2EHirC64PIvoollhG9HUsIUjokkxClErIconDROY022sHweiKhGHMc6EAAAAASUVORK5CYII=';
