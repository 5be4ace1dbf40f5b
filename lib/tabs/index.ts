/* rx-token-http/tabs: one session across the tabs of an origin (Web Locks + BroadcastChannel) */
export { shareAcrossTabs, TABS_DEFAULTS } from './share-across-tabs.js';
export type { ShareAcrossTabsConfig } from './share-across-tabs.js';
export type { Share, TokenStore, RefreshLock } from '../session/token-store.js';
