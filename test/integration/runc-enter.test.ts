import { enterContract } from '../e2e/enter-contract.js';

/** The shared `cx enter` pty checks (size, resize, Ctrl-C, exit code...) through the runc backend. */
enterContract('runc');
