import type { Readable, Writable } from 'node:stream';

const ignore = (): void => undefined;

/**
 * `source.pipe(dest)`, settled once `dest` has taken everything ('finish'); on the first error of either side
 * (or a close before the end) both are destroyed and the promise rejects with it. What `stream.pipeline` does
 * for two streams, without the AbortController and DOMException it builds per call: over hundreds of blobs a
 * run, those cost more CPU than the piping itself.
 */
export function pipeInto(source: Readable, dest: Writable): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const settle = (err: Error | undefined): void => {
      if (settled) return;
      settled = true;
      source.off('error', settle).off('close', sourceClosed);
      dest.off('error', settle).off('close', destClosed).off('finish', finished);
      // errors after the outcome is known are reported by whoever consumes dest; they must not crash the process
      source.on('error', ignore);
      dest.on('error', ignore);
      if (err === undefined) return resolve();
      source.unpipe(dest);
      source.destroy(err);
      dest.destroy(err);
      reject(err);
    };
    const finished = (): void => settle(undefined);
    const sourceClosed = (): void => {
      if (!source.readableEnded) settle(source.errored ?? prematureClose('source'));
    };
    const destClosed = (): void => {
      if (!dest.writableFinished) settle(dest.errored ?? prematureClose('destination'));
    };
    source.on('error', settle).on('close', sourceClosed);
    dest.on('error', settle).on('close', destClosed).on('finish', finished);
    source.pipe(dest);
  });
}

function prematureClose(side: string): Error {
  return Object.assign(new Error(`Premature close (the ${side} stream closed before the end)`), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
}
