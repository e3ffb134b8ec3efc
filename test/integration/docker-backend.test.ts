import { backendContract } from './contract.js';

backendContract('docker');
