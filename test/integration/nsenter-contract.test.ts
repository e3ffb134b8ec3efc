import { backendContract } from './contract.js';

backendContract('nsenter');
