//! [`forward_store!`](crate::forward_store): implement the chatcore store traits
//! for a wrapper of [`SqlStore`](crate::SqlStore).

/// Implement [`chatcore::Store`] and its part-traits (and
/// [`chatcore::store::Maintenance`]) for a type that holds a
/// [`SqlStore`](crate::SqlStore), by forwarding every method to it.
///
/// The type must implement `AsRef<chatcore_sql::SqlStore>`. Backend crates use it
/// to give their store its own name and constructors without repeating the store.
///
/// ```
/// use chatcore_sql::{SqlStore, forward_store};
///
/// /// My store.
/// pub struct MyStore(SqlStore);
/// impl AsRef<SqlStore> for MyStore {
///     fn as_ref(&self) -> &SqlStore {
///         &self.0
///     }
/// }
/// forward_store!(MyStore);
///
/// fn is_store<T: chatcore::Store>() {}
/// is_store::<MyStore>();
/// ```
#[macro_export]
macro_rules! forward_store {
    ($ty:ty) => {
        const _: () = {
            use $crate::__private::async_trait::async_trait;
            use $crate::__private::chatcore::ids::FileId;
            use $crate::__private::chatcore::model::{AccountToken, FileRecord, TokenPurpose};
            use $crate::__private::chatcore::model::{
                Ban, Invite, Membership, Message, NewMessage, NewUser, PageRequest, Role, Room,
                Session, Timestamp, User,
            };
            use $crate::__private::chatcore::store::{
                AccountStore, FileScope, FileStore, Maintenance, MessageStore, RoomStore,
                SessionStore, Store, UserStore,
            };
            use $crate::__private::chatcore::{
                MessageId, Result, RoomCode, RoomId, Seq, SessionId, UserId,
            };

            fn sql(s: &$ty) -> &$crate::SqlStore {
                ::core::convert::AsRef::<$crate::SqlStore>::as_ref(s)
            }

            #[async_trait]
            impl UserStore for $ty {
                async fn create_user(&self, new: NewUser) -> Result<User> {
                    sql(self).create_user(new).await
                }
                async fn get_user(&self, id: UserId) -> Result<Option<User>> {
                    sql(self).get_user(id).await
                }
                async fn get_users(&self, ids: &[UserId]) -> Result<Vec<User>> {
                    sql(self).get_users(ids).await
                }
                async fn find_user_by_username(&self, normalized: &str) -> Result<Option<User>> {
                    sql(self).find_user_by_username(normalized).await
                }
                async fn find_user_by_external_id(
                    &self,
                    external_id: &str,
                ) -> Result<Option<User>> {
                    sql(self).find_user_by_external_id(external_id).await
                }
                async fn update_user(&self, user: &User) -> Result<()> {
                    sql(self).update_user(user).await
                }
                async fn get_password_hash(&self, id: UserId) -> Result<Option<String>> {
                    sql(self).get_password_hash(id).await
                }
                async fn set_password_hash(&self, id: UserId, hash: &str) -> Result<()> {
                    sql(self).set_password_hash(id, hash).await
                }
                async fn set_last_seen(&self, id: UserId, at: Timestamp) -> Result<()> {
                    sql(self).set_last_seen(id, at).await
                }
                async fn delete_user(&self, id: UserId, at: Timestamp) -> Result<()> {
                    sql(self).delete_user(id, at).await
                }
            }

            #[async_trait]
            impl SessionStore for $ty {
                async fn create_session(&self, session: Session) -> Result<()> {
                    sql(self).create_session(session).await
                }
                async fn find_session(&self, token_hash: &[u8; 32]) -> Result<Option<Session>> {
                    sql(self).find_session(token_hash).await
                }
                async fn touch_session(
                    &self,
                    id: SessionId,
                    last_used_at: Timestamp,
                    expires_at: Timestamp,
                ) -> Result<()> {
                    sql(self).touch_session(id, last_used_at, expires_at).await
                }
                async fn list_sessions(&self, user: UserId) -> Result<Vec<Session>> {
                    sql(self).list_sessions(user).await
                }
                async fn delete_session(&self, user: UserId, id: SessionId) -> Result<bool> {
                    sql(self).delete_session(user, id).await
                }
                async fn delete_user_sessions(&self, user: UserId) -> Result<u64> {
                    sql(self).delete_user_sessions(user).await
                }
            }

            #[async_trait]
            impl RoomStore for $ty {
                async fn create_room(&self, room: Room, members: Vec<Membership>) -> Result<Room> {
                    sql(self).create_room(room, members).await
                }
                async fn get_room(&self, id: RoomId) -> Result<Option<Room>> {
                    sql(self).get_room(id).await
                }
                async fn find_room_by_code(&self, code: &RoomCode) -> Result<Option<Room>> {
                    sql(self).find_room_by_code(code).await
                }
                async fn find_direct_room(&self, direct_key: &str) -> Result<Option<Room>> {
                    sql(self).find_direct_room(direct_key).await
                }
                async fn list_public_rooms(
                    &self,
                    after: Option<(&str, RoomId)>,
                    limit: u32,
                ) -> Result<Vec<Room>> {
                    sql(self).list_public_rooms(after, limit).await
                }
                async fn list_user_rooms(&self, user: UserId) -> Result<Vec<(Room, Membership)>> {
                    sql(self).list_user_rooms(user).await
                }
                async fn update_room(&self, room: &Room) -> Result<()> {
                    sql(self).update_room(room).await
                }
                async fn delete_room(&self, id: RoomId) -> Result<()> {
                    sql(self).delete_room(id).await
                }
                async fn add_member(
                    &self,
                    member: Membership,
                    max_members: u32,
                ) -> Result<Membership> {
                    sql(self).add_member(member, max_members).await
                }
                async fn get_member(
                    &self,
                    room: RoomId,
                    user: UserId,
                ) -> Result<Option<Membership>> {
                    sql(self).get_member(room, user).await
                }
                async fn list_members(&self, room: RoomId) -> Result<Vec<Membership>> {
                    sql(self).list_members(room).await
                }
                async fn count_members(&self, room: RoomId) -> Result<u64> {
                    sql(self).count_members(room).await
                }
                async fn set_role(&self, room: RoomId, user: UserId, role: Role) -> Result<()> {
                    sql(self).set_role(room, user, role).await
                }
                async fn transfer_ownership(
                    &self,
                    room: RoomId,
                    from: UserId,
                    to: UserId,
                ) -> Result<()> {
                    sql(self).transfer_ownership(room, from, to).await
                }
                async fn remove_member(&self, room: RoomId, user: UserId) -> Result<bool> {
                    sql(self).remove_member(room, user).await
                }
                async fn ban(&self, ban: Ban) -> Result<()> {
                    sql(self).ban(ban).await
                }
                async fn get_ban(&self, room: RoomId, user: UserId) -> Result<Option<Ban>> {
                    sql(self).get_ban(room, user).await
                }
                async fn unban(&self, room: RoomId, user: UserId) -> Result<bool> {
                    sql(self).unban(room, user).await
                }
                async fn list_bans(&self, room: RoomId) -> Result<Vec<Ban>> {
                    sql(self).list_bans(room).await
                }
                async fn create_invite(&self, invite: Invite) -> Result<()> {
                    sql(self).create_invite(invite).await
                }
                async fn get_invite(&self, room: RoomId, user: UserId) -> Result<Option<Invite>> {
                    sql(self).get_invite(room, user).await
                }
                async fn list_invites(&self, user: UserId) -> Result<Vec<Invite>> {
                    sql(self).list_invites(user).await
                }
                async fn delete_invite(&self, room: RoomId, user: UserId) -> Result<bool> {
                    sql(self).delete_invite(room, user).await
                }
            }

            #[async_trait]
            impl MessageStore for $ty {
                async fn append_message(&self, new: NewMessage) -> Result<Message> {
                    sql(self).append_message(new).await
                }
                async fn get_message(&self, id: MessageId) -> Result<Option<Message>> {
                    sql(self).get_message(id).await
                }
                async fn edit_message(
                    &self,
                    id: MessageId,
                    body: &str,
                    at: Timestamp,
                ) -> Result<()> {
                    sql(self).edit_message(id, body, at).await
                }
                async fn delete_message(&self, id: MessageId, at: Timestamp) -> Result<()> {
                    sql(self).delete_message(id, at).await
                }
                async fn list_messages(
                    &self,
                    room: RoomId,
                    page: PageRequest,
                ) -> Result<Vec<Message>> {
                    sql(self).list_messages(room, page).await
                }
                async fn last_seq(&self, room: RoomId) -> Result<Seq> {
                    sql(self).last_seq(room).await
                }
            }

            #[async_trait]
            impl AccountStore for $ty {
                async fn find_user_by_email(&self, email: &str) -> Result<Option<User>> {
                    AccountStore::find_user_by_email(sql(self), email).await
                }
                async fn email_verified_at(&self, user: UserId) -> Result<Option<Timestamp>> {
                    AccountStore::email_verified_at(sql(self), user).await
                }
                async fn set_email_verified(
                    &self,
                    user: UserId,
                    at: Option<Timestamp>,
                ) -> Result<()> {
                    AccountStore::set_email_verified(sql(self), user, at).await
                }
                async fn create_account_token(&self, token: AccountToken) -> Result<()> {
                    AccountStore::create_account_token(sql(self), token).await
                }
                async fn take_account_token(
                    &self,
                    token_hash: &[u8; 32],
                    purpose: TokenPurpose,
                ) -> Result<Option<AccountToken>> {
                    AccountStore::take_account_token(sql(self), token_hash, purpose).await
                }
                async fn delete_account_tokens(
                    &self,
                    user: UserId,
                    purpose: TokenPurpose,
                ) -> Result<u64> {
                    AccountStore::delete_account_tokens(sql(self), user, purpose).await
                }
            }

            #[async_trait]
            impl FileStore for $ty {
                async fn create_file(&self, file: FileRecord) -> Result<()> {
                    FileStore::create_file(sql(self), file).await
                }
                async fn get_file(&self, id: FileId) -> Result<Option<FileRecord>> {
                    FileStore::get_file(sql(self), id).await
                }
                async fn attach_file(&self, id: FileId, message: MessageId) -> Result<bool> {
                    FileStore::attach_file(sql(self), id, message).await
                }
                async fn delete_file(&self, id: FileId, at: Timestamp) -> Result<bool> {
                    FileStore::delete_file(sql(self), id, at).await
                }
                async fn delete_files(
                    &self,
                    scope: FileScope,
                    at: Timestamp,
                ) -> Result<::std::vec::Vec<::std::string::String>> {
                    FileStore::delete_files(sql(self), scope, at).await
                }
            }

            #[async_trait]
            impl Maintenance for $ty {
                async fn delete_expired(&self, now: Timestamp) -> Result<u64> {
                    Maintenance::delete_expired(sql(self), now).await
                }
            }

            impl Store for $ty {
                fn maintenance(&self) -> Option<&dyn Maintenance> {
                    Some(self)
                }
            }
        };
    };
}
