import { enterContract } from './enter-contract.js';

enterContract('docker');
