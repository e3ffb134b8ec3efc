/**
 * Preloaded with `node --import` to record every module a cx run loads: registers a resolve hook
 * that appends each resolved URL to the file named by CX_TRACE_LOADS.
 */
import { register } from 'node:module';

register(new URL('./trace-loads-hook.js', import.meta.url), { data: { file: process.env['CX_TRACE_LOADS'] } });
