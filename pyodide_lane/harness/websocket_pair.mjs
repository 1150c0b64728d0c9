/**
 * `WebSocketPair` for the lane (Node has none): two connected in-memory ends with the
 * workerd surface the app uses (`accept`, `send`, `close`, `addEventListener`,
 * `serializeAttachment`/`deserializeAttachment`). `new WebSocketPair()` has own properties 0
 * (client) and 1 (server), so `WebSocketPair.new().object_values()` works from Python.
 */
export class WebSocket extends EventTarget {
  #peer = null;
  #attachment = undefined;
  readyState = 1;
  accept() {}
  send(data) {
    if (this.readyState !== 1) throw new Error("WebSocket is not open");
    const peer = this.#peer;
    const copy = typeof data === "string" ? data : data.slice?.(0) ?? data;
    queueMicrotask(() => peer.dispatchEvent(Object.assign(new Event("message"), { data: copy })));
  }
  close(code = 1000, reason = "") {
    if (this.readyState !== 1) return;
    this.readyState = 3;
    const peer = this.#peer;
    peer.readyState = 3;
    queueMicrotask(() => peer.dispatchEvent(Object.assign(new Event("close"), { code, reason, wasClean: true })));
  }
  serializeAttachment(value) {
    this.#attachment = structuredClone(value);
  }
  deserializeAttachment() {
    return structuredClone(this.#attachment);
  }
  static link(a, b) {
    a.#peer = b;
    b.#peer = a;
  }
}

export class WebSocketPair {
  constructor() {
    const client = new WebSocket();
    const server = new WebSocket();
    WebSocket.link(client, server);
    this[0] = client;
    this[1] = server;
  }
}
