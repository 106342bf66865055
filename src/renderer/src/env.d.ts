import type { CoiApi } from '../../shared/contract';

declare global {
  interface Window {
    coi: CoiApi;
  }
}
export {};
