import { contextBridge, ipcRenderer } from 'electron';
import { exposeCoi } from './bridge';

exposeCoi(contextBridge, ipcRenderer);
