// Types for the undici modules src/main/incus/http.ts requires by path (undici types only its index).
declare module 'undici/lib/core/connect.js' {
  import type { buildConnector } from 'undici';
  export default function buildConnector(options: buildConnector.BuildOptions): buildConnector.connector;
}

declare module 'undici/lib/dispatcher/agent.js' {
  import { Agent } from 'undici';
  export default Agent;
}

declare module 'undici/lib/api/api-request.js' {
  import type { Dispatcher } from 'undici';
  export default function request(this: Dispatcher, options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData>;
}
