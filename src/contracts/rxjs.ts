/**
 * The parts of RxJS the library runs on, each from its own module rather than
 * from `rxjs`: under Node, `rxjs` resolves to a CommonJS index that loads every
 * operator RxJS has, which was most of what a restarted job spent loading code
 * before it could restore its checkpoint. The index re-exports these very
 * modules, so `Observable` and `Subscriber` here are the classes users get from
 * `rxjs` (and `instanceof` agrees across the two).
 */
export { Observable } from 'rxjs/internal/Observable';
export { Subscriber } from 'rxjs/internal/Subscriber';
export { Subject } from 'rxjs/internal/Subject';
export { from } from 'rxjs/internal/observable/from';
export { asyncScheduler } from 'rxjs/internal/scheduler/async';
