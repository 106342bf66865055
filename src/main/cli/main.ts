import './command-process'; // Ctrl-C is the command's from its first request, sent before the rest loads
import { earlyDiff, isLocalJsonListing, startEarlyRequests } from './early-requests';

// The `coi-desktop` command. Its first requests to the local daemon go out before the rest of the
// CLI loads (early-requests.ts); a local `snapshot list --all --format json` is printed from their
// answers without the rest (local-list.ts); a local diff against the container sends its listing
// exec first (early-listing.ts); any other command, or anything but that plain case, runs in the
// full CLI (run-command.ts).
const argv = process.argv.slice(2);
const written = startEarlyRequests(argv, process.env);
const diff = earlyDiff(argv, process.env);
if (isLocalJsonListing(argv)) {
  void written
    .then(() => import('./local-list'))
    .then(({ listLocally }) => listLocally(process.env))
    .catch(() => false)
    .then((printed) => printed || import('./run-command'));
} else if (diff) {
  void import('./early-listing')
    .then(({ startEarlyListing }) => startEarlyListing(diff, process.env))
    .catch(() => undefined)
    .then(() => import('./run-command'));
} else {
  void written.then(() => import('./run-command'));
}
