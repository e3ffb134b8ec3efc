/** Sets the exit code a command's action produced (commander actions cannot return one). */
export type Done = (code: number) => void;
