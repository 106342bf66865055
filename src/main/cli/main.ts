import { startEarlyRequests } from './early-requests';

// The `coi-desktop` command. Its first request to the local daemon goes out before the rest of the
// CLI loads (early-requests.ts), then the command runs (run-command.ts).
startEarlyRequests(process.argv.slice(2), process.env);
void import('./run-command');
