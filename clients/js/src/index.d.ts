// Types of @chatcore/client. The wire types are in protocol.d.ts (checked against
// what the Rust server serializes); this file types the client's own API.

import type * as P from "./protocol.js";
export type * from "./protocol.js";

export declare const PROTOCOL_VERSION: P.ProtocolVersion;

/** An error of the server (`error` event, REST error body) or of the client. */
export declare class ChatError extends Error {
  constructor(code: string, message?: string, extra?: Partial<Pick<ChatError, "status" | "field" | "retryAfterMs" | "closeCode" | "written">>);
  /** A code of docs/PROTOCOL.md § 7, or `timeout`, `disconnected`, `closed`, `network`, `discarded`, or a close reason (`session_revoked`…). */
  code: P.ErrorCode | "timeout" | "disconnected" | "closed" | "network" | "discarded" | CloseReason;
  /** HTTP status (REST only). */
  status?: number;
  /** The offending field (`invalid_input`, `too_large`). */
  field?: string;
  /** For `rate_limited`: how long to wait. */
  retryAfterMs?: number;
  /** The WebSocket close code, for errors caused by a close. */
  closeCode?: number;
  /** For a send's `timeout`: whether it had been written (its outcome is then unknown). */
  written?: boolean;
}

export type ConnectionState = "idle" | "connecting" | "open" | "reconnecting" | "closed";

export type CloseReason =
  | "unauthenticated" | "session_revoked" | "account_deleted" | "account_suspended" | "protocol_error" | "frame_too_large"
  | "server_shutdown" | "internal_error" | "slow_consumer" | "heartbeat_timeout" | "rate_limited"
  | "connection_lost" | "closed";

export interface StateChange {
  state: ConnectionState;
  previous: ConnectionState;
  /** The close code that caused the change (reconnecting, closed). */
  code?: number;
  reason?: CloseReason | string;
  /** For connecting/reconnecting after a failure: the wait before the next attempt. */
  delayMs?: number;
  attempt?: number;
  /** For `open`: whether this is a reconnection. */
  reconnected?: boolean;
}

export declare const CloseCode: Readonly<{
  NORMAL: 1000; SERVER_SHUTDOWN: 1001; ABNORMAL: 1006; PROTOCOL_ERROR: 1008; FRAME_TOO_LARGE: 1009;
  INTERNAL_ERROR: 1011; UNAUTHENTICATED: 4001; SESSION_REVOKED: 4002; ACCOUNT_DELETED: 4003; ACCOUNT_SUSPENDED: 4004;
  SLOW_CONSUMER: 4008; HEARTBEAT_TIMEOUT: 4009; RATE_LIMITED: 4029;
}>;

/** What the client does on a close code (docs/PROTOCOL.md § 6). */
export declare function closeAction(code: number): { reconnect: boolean; reason: CloseReason; minDelayMs: number };

export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  factor?: number;
  /** 0..1: each delay is between (1 - jitter) × base and base. */
  jitter?: number;
  random?: () => number;
}

export declare class Backoff {
  constructor(opts?: BackoffOptions);
  readonly attempt: number;
  next(): number;
  reset(): void;
}

/** A constructor compatible with the browser's WebSocket (the `ws` package's is). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: any) => void) | null;
  onmessage: ((ev: any) => void) | null;
  onclose: ((ev: any) => void) | null;
  onerror: ((ev: any) => void) | null;
}
export type WebSocketConstructor = new (url: string, ...rest: any[]) => WebSocketLike;

export interface ChatClientOptions {
  /** The WebSocket URL (`ws://host/api/ws`; see `wsUrl`), or a function giving it. */
  url: string | (() => string | Promise<string>);
  /** Session token, sent in an `auth` frame; a function is asked on every connect. Omit it to rely on the session cookie. */
  token?: string | null | (() => string | null | Promise<string | null>);
  /** Default: `globalThis.WebSocket`. In Node 20: `import WebSocket from "ws"`. */
  WebSocket?: WebSocketConstructor;
  /** Third argument of the WebSocket constructor (e.g. `ws` options such as headers). */
  socketOptions?: unknown;
  /** Resume points an app persisted (`{room: seq}`), e.g. from `client.seqs.toJSON()`. */
  resumeFrom?: Record<P.RoomId, P.Seq>;
  /** Called whenever a room's resume point moves: persist it here. */
  onSeq?: (room: P.RoomId, seq: P.Seq) => void;
  backoff?: BackoffOptions;
  /** Per command (default 15 s). */
  requestTimeoutMs?: number;
  /** Per message (default 0: a queued message waits for the connection however long). */
  sendTimeoutMs?: number;
  /** For the `hello` after opening a socket (default 10 s). */
  connectTimeoutMs?: number;
  /** Ping when nothing arrived for this long (default: the server's `heartbeat_ms`). */
  pingIntervalMs?: number;
  /** A ping unanswered this long drops the connection (default 10 s). */
  pongTimeoutMs?: number;
  /** A command written and no frame at all back within this long means a dead network (which may deliver no close for minutes): the socket is dropped and a new one tried (default 8 s; 0: off). */
  silenceTimeoutMs?: number;
  /** Sends written before their answers (default 16; 1 keeps strict order even when rate limited). */
  maxInFlight?: number;
  /** The server's frame limit (default 16 KiB): larger commands fail locally with `too_large`. */
  maxFrameBytes?: number;
  /** Give rooms without a resume point one from their newest message, so a reconnect resumes them (default true). */
  trackNewRooms?: boolean;
  /** Asked after a connection failed before `hello` (browsers cannot see a 401 upgrade): false stops with `unauthenticated`. */
  checkAuth?: () => boolean | Promise<boolean>;
  typing?: { intervalMs?: number; ttlMs?: number };
}

export interface SentMessage {
  room: P.RoomId;
  body: string;
  replyTo?: P.MessageId | null;
  nonce?: string;
}

export interface PendingMessage {
  nonce: string;
  room: P.RoomId;
  body: string;
  replyTo: P.MessageId | null;
  state: "queued" | "inflight";
  /** Whether it was written to a connection at least once. */
  written: boolean;
}

export interface SendFailed {
  nonce: string;
  room: P.RoomId;
  body: string;
  error: ChatError;
}

/** Everything a ChatClient emits: each server event by its `type`, and the client's own. */
export type ClientEvents = { [K in P.ServerEvent["type"]]: P.EventOf<K> } & {
  /** Every server event (after duplicates are dropped). */
  event: P.ServerEvent;
  state: StateChange;
  hello: { hello: P.HelloEvent; reconnected: boolean };
  /** The `resume` after a (re)connect is done: missed messages were delivered. */
  synced: { rooms: P.RoomId[]; errors: ChatError[] };
  /** A queued message was refused for good (forbidden, too long…). */
  send_failed: SendFailed;
  /** A queued message was refused for now (rate limited, slow mode…): it is sent again after `error.retryAfterMs`. */
  send_retry: SendFailed;
};

export declare class Emitter<E> {
  on<K extends keyof E>(type: K, fn: (value: E[K]) => void): () => void;
  once<K extends keyof E>(type: K, fn: (value: E[K]) => void): () => void;
  off<K extends keyof E>(type: K, fn: (value: E[K]) => void): void;
  emit<K extends keyof E>(type: K, value: E[K]): void;
}

export interface HistoryQuery {
  before?: P.Seq;
  after?: P.Seq;
  limit?: number;
}

export type FetchPage = (query: HistoryQuery & { limit: number }) => Promise<P.HistoryPage>;

export declare class HistoryPager {
  constructor(fetchPage: FetchPage, opts?: { pageSize?: number });
  readonly pageSize: number;
  oldest: P.Seq | null;
  hasMore: boolean;
  /** The page before the last one returned (the newest page first); `[]` at the start. */
  older(): Promise<P.Message[]>;
}

/** Every message after `after`, paging forward. */
export declare function messagesAfter(fetchPage: FetchPage, after: P.Seq, opts?: { pageSize?: number }): Promise<P.Message[]>;

export declare class SeqTracker {
  constructor(opts?: { initial?: Record<P.RoomId, P.Seq>; onChange?: (room: P.RoomId, seq: P.Seq) => void });
  has(room: P.RoomId): boolean;
  resumePoint(room: P.RoomId): P.Seq | undefined;
  delivered(room: P.RoomId, seq: P.Seq): boolean;
  observe(room: P.RoomId, seq: P.Seq): boolean;
  setFloor(room: P.RoomId, seq: P.Seq): void;
  forget(room: P.RoomId): void;
  rooms(): P.RoomId[];
  toJSON(): Record<P.RoomId, P.Seq>;
}

export declare function newNonce(): string;

export declare class Outbox {
  constructor(opts?: { maxInFlight?: number; now?: () => number });
  readonly pending: PendingMessage[];
  readonly size: number;
  discard(nonce: string, err?: ChatError): boolean;
  /** How long a rate-limited room's sends still wait (without `room`: the shortest wait of any room; 0: none). */
  pausedFor(room?: P.RoomId): number;
}

export declare class TypingThrottle {
  constructor(write: (type: "typing_start" | "typing_stop", room: P.RoomId) => boolean, opts?: { intervalMs?: number; ttlMs?: number; now?: () => number });
  typing(room: P.RoomId): boolean;
  stop(room: P.RoomId): boolean;
  sent(room: P.RoomId): void;
  reset(): void;
}

export declare class ChatClient extends Emitter<ClientEvents> {
  constructor(opts: ChatClientOptions);
  readonly state: ConnectionState;
  readonly hello: P.HelloEvent | null;
  readonly user: P.UserView | null;
  readonly rooms: P.RoomId[];
  readonly closeInfo: { code: number; reason: CloseReason | string } | null;
  /** What the client has per room; `seqs.toJSON()` is what to persist. */
  readonly seqs: SeqTracker;
  /** Messages not yet confirmed (`outbox.pending`, `outbox.discard(nonce)`). */
  readonly outbox: Outbox;
  readonly typingThrottle: TypingThrottle;

  connect(): this;
  ready(): Promise<P.HelloEvent>;
  close(): void;
  reconnect(): void;

  send(room: P.RoomId, body: string, opts?: { replyTo?: P.MessageId | null; nonce?: string; timeoutMs?: number }): Promise<P.SentEvent>;
  request(command: P.ClientCommand, opts?: { timeoutMs?: number }): Promise<P.ServerEvent>;
  join(room: P.RoomId, opts?: { password?: string; since?: P.Seq }): Promise<P.ServerEvent>;
  leave(room: P.RoomId): Promise<P.ServerEvent>;
  edit(message: P.MessageId, body: string): Promise<P.ServerEvent>;
  delete(message: P.MessageId): Promise<P.ServerEvent>;
  ping(): Promise<P.ServerEvent>;
  history(room: P.RoomId, query?: HistoryQuery): Promise<P.HistoryPage>;
  historyPager(room: P.RoomId, opts?: { pageSize?: number }): HistoryPager;
  typing(room: P.RoomId): boolean;
  stopTyping(room: P.RoomId): boolean;
}

export interface RestClientOptions {
  /** Where the API is mounted (default `/api`). */
  baseUrl?: string;
  /** Bearer token; without one, the browser's session cookie. */
  token?: string | null;
  fetch?: typeof fetch;
  credentials?: RequestCredentials;
  /** Keep the token of login/register (default: true outside browser pages when no token was given). */
  adoptToken?: boolean;
}

/** The WebSocket URL of an API base URL (`http://host/api` → `ws://host/api/ws`). */
export declare function wsUrl(baseUrl: string): string;

export declare class RestClient {
  constructor(opts?: RestClientOptions);
  baseUrl: string;
  token: string | null;
  url(path: string): string;
  call<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;

  register(body: P.RegisterRequest): Promise<P.AuthResponse>;
  login(body: P.LoginRequest): Promise<P.AuthResponse>;
  logout(): Promise<null>;
  logoutAll(): Promise<null>;
  sessions(): Promise<P.SessionView[]>;
  revokeSession(id: P.SessionId): Promise<null>;
  me(): Promise<P.MeView>;
  updateMe(body: P.ProfileUpdateRequest): Promise<P.MeView>;
  deleteMe(body?: P.DeleteAccountRequest): Promise<null>;
  changePassword(body: P.ChangePasswordRequest): Promise<null>;
  /** Mail a new verification link to the account's address. */
  requestVerification(): Promise<null>;
  /** The token of a verification link (`#verify-email=TOKEN`). */
  verifyEmail(token: string): Promise<null>;
  /** Mail a reset link (answered the same whether or not an account has the address). */
  requestPasswordReset(email: string): Promise<null>;
  /** The token of a reset link and the new password: every session ends. */
  resetPassword(body: { token: string; password: string }): Promise<null>;
  user(id: P.UserId): Promise<P.UserView>;
  userByName(username: string): Promise<P.UserView>;

  publicRooms(query?: { after_name?: string; after_id?: P.RoomId; limit?: number }): Promise<P.RoomView[]>;
  myRooms(): Promise<P.MyRooms>;
  createRoom(body: P.NewRoomRequest): Promise<P.RoomView>;
  room(id: P.RoomId): Promise<P.RoomView>;
  updateRoom(id: P.RoomId, body: P.RoomUpdateRequest): Promise<P.RoomView>;
  deleteRoom(id: P.RoomId): Promise<null>;
  joinRoom(id: P.RoomId, body?: P.JoinRequest): Promise<P.RoomView>;
  joinByCode(body: P.JoinByCodeRequest): Promise<P.RoomView>;
  leaveRoom(id: P.RoomId): Promise<null>;
  members(id: P.RoomId): Promise<P.MemberView[]>;
  code(id: P.RoomId): Promise<P.CodeResponse>;
  rotateCode(id: P.RoomId): Promise<P.CodeResponse>;
  transfer(id: P.RoomId, userId: P.UserId): Promise<null>;
  invite(id: P.RoomId, userId: P.UserId): Promise<null>;
  invites(): Promise<P.InviteView[]>;
  declineInvite(roomId: P.RoomId): Promise<null>;
  setRole(id: P.RoomId, userId: P.UserId, role: P.Role): Promise<null>;
  kick(id: P.RoomId, userId: P.UserId): Promise<null>;
  ban(id: P.RoomId, body: P.BanRequest): Promise<P.Ban>;
  bans(id: P.RoomId): Promise<P.Ban[]>;
  unban(id: P.RoomId, userId: P.UserId): Promise<null>;

  messages(id: P.RoomId, query?: HistoryQuery): Promise<P.HistoryPage>;
  postMessage(id: P.RoomId, body: P.SendMessageRequest): Promise<P.Message>;
  editMessage(messageId: P.MessageId, body: string): Promise<P.Message>;
  deleteMessage(messageId: P.MessageId): Promise<null>;
  openDirect(body: P.OpenDirectRequest): Promise<P.RoomView>;
  directs(): Promise<P.RoomView[]>;
  sendFile(roomId: P.RoomId, file: Blob, opts?: { caption?: string; nonce?: string; replyTo?: P.MessageId; threadRoot?: P.MessageId; alsoInRoom?: boolean; name?: string }): Promise<P.Message>;
  uploadAvatar(file: Blob, name?: string): Promise<P.MeView>;
  uploadRoomAvatar(roomId: P.RoomId, file: Blob, name?: string): Promise<P.RoomView>;
  fileUrl(id: P.FileId): string;
  fetchFile(id: P.FileId): Promise<Blob>;
}
