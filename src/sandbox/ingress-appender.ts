import { closeSync, constants, fdatasync, openSync, writev } from "node:fs";
import {
  encodeFrame,
  prepareSegment,
  prepareSegmentInBackground,
  segmentPath,
} from "./ingress-log.js";
import type { IngressRecord } from "./ingress-rows.js";

/** Where the log is durable up to: every record appended through `seq`, in `segment` up to `offset`. */
export interface DurablePosition {
  segment: number;
  offset: number;
  seq: number;
}

interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
}

/** A batch being written: its place in the log, and who waits for it. */
interface Batch {
  position: DurablePosition;
  waiters: Waiter[];
  written: boolean;
}

// Batches written at once, each to its own range of the segment; libuv's pool has four threads.
const WRITES_IN_FLIGHT = 3;
const FIRST_SEGMENT_BYTES = 1 << 20;

// Where the platform has no O_DSYNC (Windows), each write is followed by an fdatasync instead.
const DSYNC: number | undefined = constants.O_DSYNC;

/** Opens a prepared segment for writes that return only once their bytes are on disk. */
function openForDurableWrites(dir: string, segment: number): number {
  return openSync(segmentPath(dir, segment), constants.O_WRONLY | (DSYNC ?? 0));
}

/** Writes the chunks at `start`; calls back once they are on disk. */
function writeDurably(
  fd: number,
  chunks: Buffer[],
  start: number,
  done: (error: Error | null, written: number) => void,
): void {
  writev(fd, chunks, start, (error, written) => {
    if (error || DSYNC !== undefined) return done(error, written);
    fdatasync(fd, (syncError) => done(syncError, written));
  });
}

/**
 * Appends ingress records to the log on the request thread, without blocking it: records that
 * arrive together are written with one `writev` to a zero-filled segment opened with O_DSYNC,
 * so the write returns once they are on disk, with no file-size change to commit. Up to three
 * batches are written at once, each to its own range, and each is answered only when every
 * batch before it is on disk too, so a replay never meets a gap. The next segment is prepared
 * in the background while the current one fills; segments double in size up to `segmentBytes`.
 */
export class IngressAppender {
  readonly #dir: string;
  readonly #maxSegmentBytes: number;
  readonly #onDurable: (position: DurablePosition) => void;
  #segment: number;
  #segmentBytes = FIRST_SEGMENT_BYTES;
  #fd: number;
  #offset = 0;
  #chunks: Buffer[] = [];
  #chunkBytes = 0;
  #waiters: Waiter[] = [];
  #scheduled: NodeJS.Immediate | undefined;
  #inFlight: Batch[] = [];
  #appended = 0;
  #durable = 0;
  #next: Promise<void> | undefined;
  #nextReady = false;
  #nextBytes = 0;
  // Writes handed to libuv and not yet called back, failed or not: the file stays open for them.
  #writing = 0;
  #broken: Error | undefined;
  #idle: (() => void)[] = [];

  constructor(options: {
    dir: string;
    segment: number;
    segmentBytes: number;
    onDurable: (position: DurablePosition) => void;
  }) {
    this.#dir = options.dir;
    this.#maxSegmentBytes = Math.max(options.segmentBytes, 1);
    this.#onDurable = options.onDurable;
    this.#segment = options.segment;
    this.#segmentBytes = Math.min(FIRST_SEGMENT_BYTES, this.#maxSegmentBytes);
    prepareSegment(this.#dir, this.#segment, this.#segmentBytes);
    this.#fd = openForDurableWrites(this.#dir, this.#segment);
  }

  /** Resolves once the record is on disk; rejects when the log cannot be written any more. */
  append(record: IngressRecord): Promise<void> {
    if (this.#broken) return Promise.reject(this.#broken);
    return new Promise((resolve, reject) => {
      for (const chunk of encodeFrame(record)) {
        this.#chunks.push(chunk);
        this.#chunkBytes += chunk.length;
      }
      this.#waiters.push({ resolve, reject });
      this.#scheduled ??= setImmediate(() => this.#flush());
    });
  }

  /** Records on disk so far, counted from this appender's start. */
  get durableSeq(): number {
    return this.#durable;
  }

  #flush(): void {
    this.#scheduled = undefined;
    if (this.#waiters.length === 0 || this.#broken) {
      if (this.#writing === 0) for (const done of this.#idle.splice(0)) done();
      return;
    }
    if (this.#inFlight.length >= WRITES_IN_FLIGHT) return;
    this.#maybeNextSegment();
    const [chunks, bytes, waiters] = [this.#chunks, this.#chunkBytes, this.#waiters];
    this.#chunks = [];
    this.#chunkBytes = 0;
    this.#waiters = [];
    const start = this.#offset;
    this.#offset += bytes;
    this.#appended += waiters.length;
    const batch: Batch = {
      position: { segment: this.#segment, offset: this.#offset, seq: this.#appended },
      waiters,
      written: false,
    };
    this.#inFlight.push(batch);
    this.#writing += 1;
    writeDurably(this.#fd, chunks, start, (error, written) => {
      this.#writing -= 1;
      if (this.#broken) return this.#flush();
      if (error || written !== bytes) {
        // A torn frame ends what a replay can read of this segment, so nothing may follow it.
        this.#fail(error ?? new Error(`the ingress log took ${written} of ${bytes} bytes`));
        return;
      }
      batch.written = true;
      this.#answerWritten();
      this.#flush();
    });
  }

  /** Answers the batches on disk, oldest first, stopping at the first still being written. */
  #answerWritten(): void {
    let last: DurablePosition | undefined;
    while (this.#inFlight[0]?.written) {
      const batch = this.#inFlight.shift() as Batch;
      for (const waiter of batch.waiters) waiter.resolve();
      last = batch.position;
    }
    if (last) {
      this.#durable = last.seq;
      this.#onDurable(last);
    }
  }

  /**
   * Past half of a segment the next is prepared in the background; past its end, once nothing
   * is in flight and the next is ready, writes move there. Until then they go on past the end
   * of the current one, which only makes them slower.
   */
  #maybeNextSegment(): void {
    if (this.#offset >= this.#segmentBytes / 2 && !this.#next) {
      const bytes = Math.min(this.#segmentBytes * 2, this.#maxSegmentBytes);
      this.#next = prepareSegmentInBackground(this.#dir, this.#segment + 1, bytes).then(
        () => {
          this.#nextReady = true;
          this.#nextBytes = bytes;
        },
        () => {
          // Tried again at the next write; meanwhile writes go on past this segment's end.
          this.#next = undefined;
        },
      );
    }
    if (this.#offset < this.#segmentBytes || !this.#nextReady || this.#inFlight.length > 0) return;
    closeSync(this.#fd);
    this.#segment += 1;
    this.#offset = 0;
    this.#segmentBytes = this.#nextBytes;
    this.#fd = openForDurableWrites(this.#dir, this.#segment);
    this.#next = undefined;
    this.#nextReady = false;
  }

  #fail(error: Error): void {
    this.#broken ??= new Error(`the ingress log cannot be written: ${error.message}`);
    const waiters = [...this.#inFlight.flatMap((batch) => batch.waiters), ...this.#waiters];
    this.#inFlight = [];
    this.#waiters = [];
    this.#chunks = [];
    for (const waiter of waiters) waiter.reject(this.#broken);
    this.#flush();
  }

  #closing: Promise<void> | undefined;

  /** Finishes what was appended, then closes the segment file; later appends are refused. */
  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      this.#idle.push(resolve);
      this.#flush();
    }).then(async () => {
      this.#broken ??= new Error("the ingress log is closed");
      closeSync(this.#fd);
      // A segment being prepared is finished first, so it is not left half-written.
      await this.#next;
    });
    return this.#closing;
  }
}
