import { backendContract } from './contract.js';

/** The shared backend contract, through `cx exec --backend runc` on the shared engine's containers. */
backendContract('runc');
