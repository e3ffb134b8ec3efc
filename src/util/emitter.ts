/** A subscription (or any resource) that can be let go of. */
export interface Disposable {
  dispose(): void;
}

/** A typed listener list whose subscriptions are disposables (node-pty's EventEmitter2 shape). */
export class Emitter<T extends unknown[]> {
  private listeners: Array<(...args: T) => void> = [];

  on(listener: (...args: T) => void): Disposable {
    this.listeners.push(listener);
    return {
      dispose: () => {
        this.listeners = this.listeners.filter((l) => l !== listener);
      },
    };
  }

  fire(...args: T): void {
    for (const l of [...this.listeners]) l(...args);
  }
}
