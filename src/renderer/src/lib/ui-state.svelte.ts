/** Which overlays are open; the keyboard shortcuts and the palette drive them. */
class UiState {
  palette = $state(false);
  drawer = $state(false);
  addHost = $state(false);
  /** Bumped by `N` and the palette: the container page opens its "Create snapshot" dialog. */
  createRequests = $state(0);
  /** True while any dialog or menu is open, so single-key shortcuts do not fire under it. */
  get overlay(): boolean {
    return this.palette || this.addHost || document.querySelector('[role="dialog"], [role="alertdialog"], [role="menu"]') !== null;
  }
}

export const ui = new UiState();
