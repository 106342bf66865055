/** The installed Electron binary, or undefined (see electron-binary.mjs). */
export function electronBinary(): string | undefined;
