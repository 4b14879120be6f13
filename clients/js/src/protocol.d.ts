// The chatcore wire protocol (version 1) and REST bodies, as TypeScript types.
//
// These mirror the Rust types of `chatcore::protocol`, `chatcore::model` and
// `chatcore_axum::types`. They are checked against JSON that Rust serializes
// (test/corpus.json, written by chatcore-client/tests/corpus.rs): a field added,
// removed or renamed on either side fails `node --test`. To add a command or an event:
// add it to the Rust enum, add a sample in corpus.rs, run it with BLESS=1, then add
// the interface here and its name to the union.

/** A UUID. */
export type Uuid = string;
export type UserId = Uuid;
export type RoomId = Uuid;
export type MessageId = Uuid;
export type SessionId = Uuid;
export type FileId = Uuid;
/** Per-room message sequence number: gapless, increasing from 1. */
export type Seq = number;
/** RFC 3339 UTC timestamp. */
export type Timestamp = string;

/** The protocol version announced in `hello`. */
export type ProtocolVersion = 1;

export type RoomKind = "public" | "private" | "direct";
export type Role = "member" | "moderator" | "admin" | "owner";
export type MessageKind = "text" | "system" | "image" | "file";
export type RemovalReason = "left" | "kicked" | "banned" | "room_deleted" | "account_deleted";

/** Error codes of docs/PROTOCOL.md § 7 (the server may add codes). */
export type ErrorCode =
  | "not_found" | "forbidden" | "banned" | "unauthenticated" | "invalid_input" | "too_large"
  | "rate_limited" | "email_unverified" | "invalid_token" | "unsupported_file_type"
  | "username_taken" | "email_taken" | "identity_taken" | "already_member" | "room_full"
  | "room_code_taken" | "direct_room_exists" | "concurrent_update" | "internal"
  | "malformed_json" | "bad_request" | "unsupported_media_type" | "csrf_rejected"
  | "origin_rejected" | "password_auth_disabled" | "method_not_allowed" | "upgrade_required"
  | "server_busy" | "bad_frame"
  | "report_open" | "timed_out"
  | "guests_disabled"
  | (string & {});

// ---------------------------------------------------------------------------------
// Views

export interface UserView {
  id: UserId;
  username: string;
  display_name: string;
  bio: string;
  avatar_url: string | null;
  created_at: Timestamp;
  last_seen_at: Timestamp | null;
  /** A temporary guest account (`POST /auth/guest`); absent from older servers. */
  guest?: boolean;
}

export interface MeView extends UserView {
  email: string | null;
  has_password: boolean;
  email_verified: boolean;
}

export interface RoomView {
  id: RoomId;
  kind: RoomKind;
  name: string;
  description: string;
  avatar_url: string | null;
  has_password: boolean;
  max_members: number;
  member_count: number;
  slow_mode_secs: number;
  /** The room's retention in days (absent: the site default). */
  retention_days?: number;
  /** Messages below this seq were deleted by retention (absent while none was). */
  history_start_seq?: Seq;
  created_at: Timestamp;
  last_seq: Seq;
  my_role: Role | null;
  code: string | null;
  peer: UserView | null;
  /** What the viewer may do here (members only; null in `room_updated` broadcasts). */
  permissions?: RoomPermissions | null;
  /** The viewer's read state (in `GET /me/rooms` only). */
  read?: ReadState;
  /** The viewer is timed out here until then (left out when not). */
  muted_until?: Timestamp;
  /** Custom data of the host app (absent when none). */
  extra?: Record<string, unknown>;
}

/** A timeout of the user in one room (in `hello`). */
export interface MyTimeout {
  room: RoomId;
  until: Timestamp;
}

/** Another member's read position ("seen by"), in direct and small rooms. */
export interface Receipt {
  room: RoomId;
  user: UserId;
  seq: Seq;
}

/** `GET`/`PUT /me/read-settings`. */
export interface ReadSettings {
  /** Others do not see this user's read positions. */
  private_receipts: boolean;
}

/** A member's read position in a room and what is unread after it. */
export interface ReadState {
  room: RoomId;
  last_read_seq: Seq;
  /** Other users' text, image and file messages after `last_read_seq`, not deleted. */
  unread: number;
  /** Of those, the ones that mention the member. */
  mentions: number;
  /**
   * The room's last seq when the counts were taken: they include every counted
   * message up to it, so add only messages after it (a replayed one at or below it is
   * already counted). 0 from older servers.
   */
  last_seq: Seq;
  /** The notification setting in force here (the default applied when never chosen). */
  notifications: NotifyLevel;
}

/** What a member is notified of in a room: every message, mentions only, or nothing (muted). */
export type NotifyLevel = "all" | "mentions" | "none";

/** Role changes allowed on members holding `target`. */
export interface RoleChange {
  target: Role;
  to: Role[];
}

/** What a member may do in a room, computed by the server from its permission matrix. */
export interface RoomPermissions {
  send: boolean;
  edit_settings: boolean;
  set_slow_mode: boolean;
  invite: boolean;
  view_code: boolean;
  rotate_code: boolean;
  transfer_ownership: boolean;
  delete_room: boolean;
  kick: Role[];
  ban: Role[];
  delete_messages_of: Role[];
  set_role: RoleChange[];
  /** Add and remove one's own reactions (older servers leave it out). */
  react?: boolean;
  /** Pin and unpin messages (older servers leave it out). */
  pin?: boolean;
  /** See and resolve the room's reports (older servers leave it out). */
  view_reports?: boolean;
  /** Roles of the members the viewer may time out (older servers leave it out). */
  timeout?: Role[];
  /** Read the room's moderation log (older servers leave it out). */
  view_audit?: boolean;
}

export interface MemberView {
  user: UserView;
  role: Role;
  joined_at: Timestamp;
  online: boolean;
  /** Custom data of the host app (absent when none). */
  extra?: Record<string, unknown>;
}

export interface Attachment {
  blob_id: FileId;
  name: string;
  content_type: string;
  size: number;
}

export type SystemEvent =
  | { event: "room_created"; by: UserId }
  | { event: "joined"; user: UserId }
  | { event: "left"; user: UserId }
  | { event: "kicked"; user: UserId; by: UserId }
  | { event: "banned"; user: UserId; by: UserId }
  | { event: "role_changed"; user: UserId; role: Role; by: UserId }
  | { event: "ownership_transferred"; from: UserId | null; to: UserId }
  | { event: "pinned"; message: MessageId; by: UserId }
  | { event: "unpinned"; message: MessageId; by: UserId };

export interface Message {
  id: MessageId;
  room_id: RoomId;
  seq: Seq;
  author_id: UserId | null;
  kind: MessageKind;
  body: string;
  system: SystemEvent | null;
  attachment: Attachment | null;
  reply_to: MessageId | null;
  created_at: Timestamp;
  edited_at: Timestamp | null;
  deleted_at: Timestamp | null;
  /** In history, for the viewer; left out when there are none, and in live events. */
  reactions?: ReactionSummary[];
  /** Mentioned user ids (left out when none). */
  mentions?: UserId[];
  /** A thread reply: its root message. */
  thread_root?: MessageId;
  /** A thread reply also sent to the room (left out when false). */
  also_in_room?: boolean;
  /** A thread's root, once it has had a reply. */
  thread?: ThreadSummary;
  /** Custom data of the host app (absent when none). */
  extra?: Record<string, unknown>;
}

/** What a thread's root shows of its replies (the replies not deleted). */
export interface ThreadSummary {
  reply_count: number;
  last_reply_at: Timestamp | null;
  /** Distinct authors in the order of their first reply, at most 10. */
  participants: UserId[];
}

/** The reactions with one emoji on one message. */
export interface ReactionSummary {
  emoji: string;
  count: number;
  me: boolean;
}

/** One message found by `GET /search`; `highlights` are `[start, end)` character offsets in `snippet` (text, never HTML). */
export interface SearchHit {
  message: Message;
  snippet: string;
  highlights: [number, number][];
}

/** A page of `GET /search`, best first. */
export interface SearchPage {
  hits: SearchHit[];
  has_more: boolean;
}

/** A pinned message (`GET /rooms/{id}/pins`). */
export interface PinView {
  message: Message;
  pinned_by: UserId | null;
  pinned_at: Timestamp;
}

export interface HistoryPage {
  room: RoomId;
  messages: Message[];
  has_more: boolean;
  /** For a page of a thread: its root. */
  thread?: MessageId;
  /** The page reaches back to where history starts: older messages were deleted by retention. */
  history_start_seq?: Seq;
}

// ---------------------------------------------------------------------------------
// Commands (client → server). Every frame may carry an `id`, echoed by its reply.

export interface AuthCommand { type: "auth"; token: string }
export interface JoinCommand { type: "join"; room: RoomId; since?: Seq | null; password?: string | null }
export interface LeaveCommand { type: "leave"; room: RoomId }
export interface ResumeCommand { type: "resume"; rooms: Record<RoomId, Seq> }
export interface SendCommand { type: "send"; room: RoomId; nonce: string; body: string; reply_to?: MessageId | null; thread_root?: MessageId | null; also_in_room?: boolean; extra?: Record<string, unknown> }
export interface EditCommand { type: "edit"; message: MessageId; body: string; extra?: Record<string, unknown> }
export interface DeleteCommand { type: "delete"; message: MessageId }
export interface TypingStartCommand { type: "typing_start"; room: RoomId }
export interface TypingStopCommand { type: "typing_stop"; room: RoomId }
export interface HistoryCommand { type: "history"; room: RoomId; before?: Seq | null; after?: Seq | null; limit?: number | null; thread?: MessageId | null }
export interface PingCommand { type: "ping" }
export interface ReactCommand { type: "react"; message: MessageId; emoji: string }
export interface UnreactCommand { type: "unreact"; message: MessageId; emoji: string }
export interface PinCommand { type: "pin"; message: MessageId }
export interface UnpinCommand { type: "unpin"; message: MessageId }
export interface MarkReadCommand { type: "mark_read"; room: RoomId; seq: Seq }
export interface SetNotificationsCommand { type: "set_notifications"; room: RoomId; level: NotifyLevel }

export type ClientCommand =
  | AuthCommand | JoinCommand | LeaveCommand | ResumeCommand | SendCommand | EditCommand
  | DeleteCommand | TypingStartCommand | TypingStopCommand | HistoryCommand | PingCommand
  | ReactCommand | UnreactCommand | PinCommand | UnpinCommand | MarkReadCommand
  | SetNotificationsCommand;

/** What goes on the wire: a command and an optional request id. */
export type ClientFrame = ClientCommand & { id?: number };

// ---------------------------------------------------------------------------------
// Events (server → client)

export interface HelloEvent { type: "hello"; protocol: number; user: UserView; rooms: RoomId[]; heartbeat_ms: number; read_states: ReadState[]; timeouts?: MyTimeout[] }
export interface AckEvent { type: "ack"; id: number | null }
export interface SentEvent { type: "sent"; id: number | null; nonce: string; room: RoomId; message_id: MessageId; seq: Seq }
export interface ErrorEvent { type: "error"; id: number | null; code: ErrorCode; message: string; field?: string; retry_after_ms?: number }
export interface PongEvent { type: "pong"; id: number | null }
export interface HistoryEvent extends HistoryPage { type: "history"; id: number | null }
export interface MessageCreatedEvent { type: "message_created"; message: Message }
export interface MessageEditedEvent { type: "message_edited"; message: Message }
export interface MessageDeletedEvent { type: "message_deleted"; room: RoomId; message_id: MessageId; seq: Seq; by: UserId }
export interface MemberJoinedEvent { type: "member_joined"; room: RoomId; member: MemberView }
export interface MemberRemovedEvent { type: "member_removed"; room: RoomId; user: UserId; reason: RemovalReason; by: UserId | null }
export interface RoleChangedEvent { type: "role_changed"; room: RoomId; user: UserId; role: Role; by: UserId }
export interface RoomCreatedEvent { type: "room_created"; room: RoomView }
export interface RoomUpdatedEvent { type: "room_updated"; room: RoomView }
export interface InvitedEvent { type: "invited"; room: RoomId; room_name: string; by: UserId }
export interface RoomDeletedEvent { type: "room_deleted"; room: RoomId }
export interface TypingEvent { type: "typing"; room: RoomId; user: UserId; typing: boolean; expires_in_ms: number }
export interface PresenceEvent { type: "presence"; room: RoomId; user: UserId; online: boolean; last_seen_at: Timestamp | null }
export interface ReactionAddedEvent { type: "reaction_added"; room: RoomId; message_id: MessageId; seq: Seq; emoji: string; user: UserId; count: number }
export interface MessagePinnedEvent { type: "message_pinned"; room: RoomId; message_id: MessageId; by: UserId; pinned_at: Timestamp }
export interface MessageUnpinnedEvent { type: "message_unpinned"; room: RoomId; message_id: MessageId; by: UserId }
export interface ReactionRemovedEvent { type: "reaction_removed"; room: RoomId; message_id: MessageId; seq: Seq; emoji: string; user: UserId; count: number }
export interface ReadStateEvent extends ReadState { type: "read_state" }
export interface ReceiptEvent extends Receipt { type: "receipt" }
export interface ReportCreatedEvent { type: "report_created"; report: Report }
export interface ReportResolvedEvent { type: "report_resolved"; report: Report }
export interface TimedOutEvent { type: "timed_out"; room: RoomId; user: UserId; until: Timestamp | null; by: UserId }
/** A public room was created (to every connected user; as a non-member sees it). */
export interface PublicRoomCreatedEvent { type: "public_room_created"; room: RoomView }
/** A public room's settings changed (to every connected user). */
export interface PublicRoomUpdatedEvent { type: "public_room_updated"; room: RoomView }
/** A public room was deleted (to every connected user). */
export interface PublicRoomDeletedEvent { type: "public_room_deleted"; room: RoomId }
/** A user's profile changed (in each room shared with them). */
export interface UserUpdatedEvent { type: "user_updated"; room: RoomId; user: UserView }
export interface ThreadUpdatedEvent { type: "thread_updated"; room: RoomId; root: MessageId; root_seq: Seq; thread: ThreadSummary }
/** In a `resume` replay: the room's history starts after the client's seq (retention). */
export interface HistoryStartEvent { type: "history_start"; room: RoomId; history_start_seq: Seq }

export type ServerEvent =
  | HelloEvent | AckEvent | SentEvent | ErrorEvent | PongEvent | HistoryEvent
  | MessageCreatedEvent | MessageEditedEvent | MessageDeletedEvent | MemberJoinedEvent
  | MemberRemovedEvent | RoleChangedEvent | RoomCreatedEvent | RoomUpdatedEvent
  | InvitedEvent | RoomDeletedEvent | TypingEvent | PresenceEvent
  | ReactionAddedEvent | ReactionRemovedEvent | MessagePinnedEvent | MessageUnpinnedEvent
  | ReadStateEvent | ReceiptEvent
  | ReportCreatedEvent | ReportResolvedEvent | TimedOutEvent
  | PublicRoomCreatedEvent | PublicRoomUpdatedEvent | PublicRoomDeletedEvent | UserUpdatedEvent
  | ThreadUpdatedEvent | HistoryStartEvent;

/** The event of a given `type`. */
export type EventOf<T extends ServerEvent["type"]> = Extract<ServerEvent, { type: T }>;

// ---------------------------------------------------------------------------------
// REST bodies (chatcore_axum::types), docs/API.md

export interface ErrorDetail { code: ErrorCode; message: string; field?: string; retry_after_ms?: number }
export interface ErrorBody { error: ErrorDetail }

export interface RegisterRequest { username: string; password: string; email?: string | null; display_name?: string | null }
export interface LoginRequest { username: string; password: string }
export interface AuthResponse { user: MeView; token: string; session_id: SessionId; expires_at: Timestamp }
export interface SessionView { id: SessionId; created_at: Timestamp; last_used_at: Timestamp; expires_at: Timestamp; user_agent: string | null; current: boolean }
export interface DeleteAccountRequest { password?: string | null }
export interface ChangePasswordRequest { old: string; new: string }
export interface ProfileUpdateRequest { display_name?: string | null; bio?: string | null; avatar_url?: string | null; email?: string | null }
export interface MyRooms { public: RoomView[]; private: RoomView[]; direct: RoomView[] }
export interface NewRoomRequest { kind: RoomKind; name: string; description?: string; password?: string | null; max_members?: number | null; avatar_url?: string | null; extra?: Record<string, unknown> }
export interface RoomUpdateRequest { name?: string | null; description?: string | null; avatar_url?: string | null; password?: string | null; max_members?: number | null; slow_mode_secs?: number | null; retention_days?: number | null; extra?: Record<string, unknown> }
export interface JoinRequest { password?: string | null }
export interface JoinByCodeRequest { code: string; password?: string | null }
export interface CodeResponse { code: string }
export interface UserRef { user_id: UserId }
export interface InviteView { room_id: RoomId; room_name: string; invited_by: UserId | null; created_at: Timestamp }
export interface SetRoleRequest { role: Role }
export interface BanRequest { user_id: UserId; reason?: string; expires_at?: Timestamp | null }
export interface Ban { room_id: RoomId; user_id: UserId; banned_by: UserId | null; reason: string; created_at: Timestamp; expires_at: Timestamp | null }
export interface SendMessageRequest { body: string; reply_to?: MessageId | null; nonce?: string | null; thread_root?: MessageId | null; also_in_room?: boolean; extra?: Record<string, unknown> }
export interface EditMessageRequest { body: string; extra?: Record<string, unknown> }
export interface ReadPositionRequest { seq: Seq }
export interface NotificationsRequest { level: NotifyLevel }
export interface OpenDirectRequest { user_id?: UserId | null; username?: string | null }

// ---------------------------------------------------------------------------------
// Moderation (docs/API.md, "Moderation"; docs/DOMAIN.md)

export type ReportResolution = "dismiss" | "delete_message" | "kick" | "ban";
export type ModAction =
  | "kick" | "ban" | "unban" | "set_role" | "pin" | "unpin" | "delete_message"
  | "resolve_report" | "timeout" | "clear_timeout" | "set_blocklist";
/** A member's report of a message (`resolution` null while open). */
export interface Report {
  id: string;
  room_id: RoomId;
  message_id: MessageId;
  reporter: UserId | null;
  author: UserId | null;
  body: string;
  reason: string;
  created_at: Timestamp;
  resolution: ReportResolution | null;
  resolved_by: UserId | null;
  resolved_at: Timestamp | null;
}
/** One entry of a room's moderation log (`GET /rooms/{id}/audit`). */
export interface ModLogEntry {
  id: string;
  room_id: RoomId;
  at: Timestamp;
  actor: UserId | null;
  action: ModAction;
  target_user: UserId | null;
  target_message: MessageId | null;
  reason: string;
}
export interface Timeout { room_id: RoomId; user_id: UserId; until: Timestamp; by: UserId | null; reason: string; created_at: Timestamp }
/** `GET /me/blocks`. */
export interface Block { user_id: UserId; created_at: Timestamp }
export interface ReportRequest { reason: string }
export interface ResolveRequest { resolution: ReportResolution; reason?: string }
export interface TimeoutRequest { duration_secs: number; reason?: string }
