import { axiosAuthRefresh } from './axios-auth-refresh.js';
import { fetchFloor } from './fetch-floor.js';
import { kyHooks } from './ky-hooks.js';
import { naive } from './naive.js';
import type { PeerFactory } from './peer.js';
import { rxTokenHttp } from './rx-token-http.js';
import { sharedPromise } from './shared-promise.js';

/** The clients of the issue, ours first. */
export const PEERS: readonly PeerFactory[] = [rxTokenHttp, sharedPromise, axiosAuthRefresh, kyHooks];
/** The floor for throughput and overhead ratios. */
export const FLOOR: PeerFactory = fetchFloor;
/** Shown in the stampede table only, to make the failure mode the others guard against visible. */
export const NAIVE: PeerFactory = naive;
