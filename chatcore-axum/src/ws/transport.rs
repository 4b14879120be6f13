//! The WebSocket wire (RFC 6455) over the upgraded HTTP/1.1 connection.
//!
//! Why not axum's `WebSocket`: it is a `Sink` of messages, framed one at a time into
//! tungstenite's write buffer behind a lock shared by both halves, and it keeps a read
//! buffer allocated for the whole life of a connection. Fan-out needs the opposite:
//!
//! - **writes**: a batch of already-encoded events is framed straight into one
//!   buffer and written with one `write()` ([`FrameWriter`]); the per-frame cost is a
//!   2–4 byte header and a copy of the shared payload, with no allocation and no lock;
//! - **reads**: bytes are read into a stack buffer during `poll` and kept only while a
//!   frame is incomplete ([`FrameReader`]), so an idle connection holds no read buffer
//!   at all.
//!
//! Frame headers are parsed and formatted by tungstenite's [`FrameHeader`]; this
//! module does the buffering, unmasking, fragment assembly, size limits and UTF-8
//! check of text messages. Extensions (permessage-deflate) and subprotocols are not
//! negotiated, and only the HTTP/1.1 upgrade is offered.

use std::future::poll_fn;
use std::io::Cursor;
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::task::{Poll, ready};

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Version, header, request::Parts};
use axum::response::Response;
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tungstenite::protocol::frame::FrameHeader;
use tungstenite::protocol::frame::coding::{Control, Data, OpCode};

/// The upgraded connection.
pub(crate) type Io = TokioIo<Upgraded>;
/// Its read half (the reader task).
pub(crate) type ReadIo = tokio::io::ReadHalf<Io>;
/// Its write half (the writer task).
pub(crate) type WriteIo = tokio::io::WriteHalf<Io>;

/// Bytes read from the socket per `read()`, into a buffer on the stack.
const READ_CHUNK: usize = 4096;

/// A WebSocket upgrade request, checked.
pub(crate) struct Upgrade {
    key: HeaderValue,
    on_upgrade: OnUpgrade,
}

fn header_has(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers.get_all(name).iter().any(|v| {
        v.as_bytes()
            .split(|&b| b == b',')
            .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
    })
}

impl Upgrade {
    /// Check that `parts` is an HTTP/1.1 WebSocket upgrade (version 13); the error
    /// says what is wrong.
    pub(crate) fn from_parts(parts: &mut Parts) -> Result<Upgrade, &'static str> {
        if parts.version != Version::HTTP_11 {
            return Err("WebSocket connections need an HTTP/1.1 upgrade request");
        }
        if parts.method != Method::GET {
            return Err("a WebSocket upgrade request must use GET");
        }
        if !header_has(&parts.headers, header::CONNECTION, "upgrade") {
            return Err("`Connection` header did not include `upgrade`");
        }
        if !header_has(&parts.headers, header::UPGRADE, "websocket") {
            return Err("`Upgrade` header did not include `websocket`");
        }
        if parts
            .headers
            .get(header::SEC_WEBSOCKET_VERSION)
            .is_none_or(|v| v.as_bytes() != b"13")
        {
            return Err("`Sec-WebSocket-Version` header did not include `13`");
        }
        let key = parts
            .headers
            .get(header::SEC_WEBSOCKET_KEY)
            .ok_or("`Sec-WebSocket-Key` header missing")?
            .clone();
        let on_upgrade = parts
            .extensions
            .remove::<OnUpgrade>()
            .ok_or("the connection cannot be upgraded")?;
        Ok(Upgrade { key, on_upgrade })
    }

    /// The `101 Switching Protocols` response, and the connection once it is sent.
    pub(crate) fn accept(self) -> (Response, OnUpgrade) {
        let accept = tungstenite::handshake::derive_accept_key(self.key.as_bytes());
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
        let headers = response.headers_mut();
        headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        if let Ok(v) = HeaderValue::from_str(&accept) {
            headers.insert(header::SEC_WEBSOCKET_ACCEPT, v);
        }
        (response, self.on_upgrade)
    }
}

/// Split an upgraded connection into its reader and writer.
pub(crate) fn split(
    upgraded: Upgraded,
    max_message: usize,
) -> (FrameReader<ReadIo>, FrameWriter<WriteIo>) {
    let (read, write) = tokio::io::split(TokioIo::new(upgraded));
    (FrameReader::new(read, max_message), FrameWriter::new(write))
}

/// What the peer sent.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Incoming {
    /// A complete text message (fragments assembled), valid UTF-8.
    Text(String),
    /// A complete binary message (its bytes are not kept).
    Binary,
    /// A ping, with its payload (to echo in the pong).
    Ping(Vec<u8>),
    /// A pong.
    Pong,
    /// A close frame.
    Close,
}

/// Why reading ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ReadError {
    /// The connection ended or failed.
    Gone,
    /// A message over the size limit (close code 1009).
    TooLarge,
    /// A protocol violation (close code 1002).
    Protocol(&'static str),
    /// A text message that is not UTF-8 (close code 1007).
    NotUtf8,
}

/// The kind of the fragmented message being assembled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Partial {
    Text,
    Binary,
}

/// Reads client frames.
pub(crate) struct FrameReader<R> {
    io: R,
    /// Bytes read; those before `pos` are parsed. Unallocated when all are parsed.
    buf: Vec<u8>,
    pos: usize,
    /// The fragments of the message being assembled (text only: binary bytes are
    /// dropped).
    message: Vec<u8>,
    /// Payload bytes of the message being assembled so far, text or binary: the
    /// size limit is per message, whatever is kept of it.
    message_len: usize,
    partial: Option<Partial>,
    max_message: usize,
}

impl<R: AsyncRead + Unpin> FrameReader<R> {
    pub(crate) fn new(io: R, max_message: usize) -> Self {
        FrameReader {
            io,
            buf: Vec::new(),
            pos: 0,
            message: Vec::new(),
            message_len: 0,
            partial: None,
            max_message,
        }
    }

    /// The next message or control frame.
    pub(crate) async fn next(&mut self) -> Result<Incoming, ReadError> {
        loop {
            if let Some(incoming) = self.parse()? {
                return Ok(incoming);
            }
            self.fill().await?;
        }
    }

    /// Read once more from the socket. The read goes into a buffer on the stack
    /// that lives only during `poll`; only the bytes read are kept.
    async fn fill(&mut self) -> Result<(), ReadError> {
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        poll_fn(|cx| {
            let mut chunk = [MaybeUninit::<u8>::uninit(); READ_CHUNK];
            let mut read = ReadBuf::uninit(&mut chunk);
            match ready!(Pin::new(&mut self.io).poll_read(cx, &mut read)) {
                Ok(()) if !read.filled().is_empty() => {
                    self.buf.extend_from_slice(read.filled());
                    Poll::Ready(Ok(()))
                }
                _ => Poll::Ready(Err(ReadError::Gone)),
            }
        })
        .await
    }

    /// Parse the buffered bytes: a complete message or control frame, or None when
    /// more bytes are needed.
    fn parse(&mut self) -> Result<Option<Incoming>, ReadError> {
        loop {
            let mut cursor = Cursor::new(&self.buf[self.pos..]);
            let Some((header, len)) = FrameHeader::parse(&mut cursor)
                .map_err(|_| ReadError::Protocol("invalid frame header"))?
            else {
                return Ok(None);
            };
            let start = usize::try_from(cursor.position())
                .map_err(|_| ReadError::TooLarge)?
                .saturating_add(self.pos);
            let len = usize::try_from(len).map_err(|_| ReadError::TooLarge)?;
            if header.rsv1 || header.rsv2 || header.rsv3 {
                return Err(ReadError::Protocol("no extension was negotiated"));
            }
            let Some(mask) = header.mask else {
                return Err(ReadError::Protocol("client frames must be masked"));
            };
            let control = matches!(header.opcode, OpCode::Control(_));
            if control && (len > 125 || !header.is_final) {
                return Err(ReadError::Protocol("invalid control frame"));
            }
            // Refuse an oversized message from its header, before reading it.
            if !control && self.message_len.saturating_add(len) > self.max_message {
                return Err(ReadError::TooLarge);
            }
            let end = start.saturating_add(len);
            if self.buf.len() < end {
                return Ok(None);
            }
            let payload = &mut self.buf[start..end];
            for (i, b) in payload.iter_mut().enumerate() {
                *b ^= mask[i & 3];
            }
            let result = match header.opcode {
                OpCode::Control(Control::Ping) => Some(Incoming::Ping(payload.to_vec())),
                OpCode::Control(Control::Pong) => Some(Incoming::Pong),
                OpCode::Control(Control::Close) => Some(Incoming::Close),
                OpCode::Control(Control::Reserved(_)) | OpCode::Data(Data::Reserved(_)) => {
                    return Err(ReadError::Protocol("reserved opcode"));
                }
                OpCode::Data(Data::Continue) => {
                    let Some(kind) = self.partial else {
                        return Err(ReadError::Protocol("continuation without a message"));
                    };
                    self.message_len = self.message_len.saturating_add(len);
                    if kind == Partial::Text {
                        self.message.extend_from_slice(payload);
                    }
                    if header.is_final {
                        self.partial = None;
                        Some(self.finish(kind)?)
                    } else {
                        None
                    }
                }
                OpCode::Data(data) => {
                    if self.partial.is_some() {
                        return Err(ReadError::Protocol("new message inside a fragmented one"));
                    }
                    let kind = if data == Data::Text {
                        Partial::Text
                    } else {
                        Partial::Binary
                    };
                    self.message_len = len;
                    if kind == Partial::Text {
                        self.message.extend_from_slice(payload);
                    }
                    if header.is_final {
                        Some(self.finish(kind)?)
                    } else {
                        self.partial = Some(kind);
                        None
                    }
                }
            };
            self.pos = end;
            if self.pos == self.buf.len() {
                // All parsed: give the buffer back (an idle connection holds none).
                self.buf = Vec::new();
                self.pos = 0;
            }
            if result.is_some() {
                return Ok(result);
            }
        }
    }

    fn finish(&mut self, kind: Partial) -> Result<Incoming, ReadError> {
        self.message_len = 0;
        let bytes = std::mem::take(&mut self.message);
        match kind {
            Partial::Binary => Ok(Incoming::Binary),
            Partial::Text => String::from_utf8(bytes)
                .map(Incoming::Text)
                .map_err(|_| ReadError::NotUtf8),
        }
    }
}

/// Frames server messages into one buffer and writes it in one go.
pub(crate) struct FrameWriter<W> {
    io: W,
    out: Vec<u8>,
    /// Bytes of `out` already written.
    sent: usize,
}

/// Server frames are unmasked; a header is at most 10 bytes.
fn push_header(out: &mut Vec<u8>, opcode: OpCode, len: usize) {
    let header = FrameHeader {
        is_final: true,
        rsv1: false,
        rsv2: false,
        rsv3: false,
        opcode,
        mask: None,
    };
    // Writing to a Vec cannot fail.
    let _ = header.format(len as u64, out);
}

impl<W: AsyncWrite + Unpin> FrameWriter<W> {
    pub(crate) fn new(io: W) -> Self {
        FrameWriter {
            io,
            out: Vec::new(),
            sent: 0,
        }
    }

    /// Queue a text frame (`payload` must be UTF-8: it is an encoded event).
    pub(crate) fn text(&mut self, payload: &[u8]) {
        push_header(&mut self.out, OpCode::Data(Data::Text), payload.len());
        self.out.extend_from_slice(payload);
    }

    /// Queue a ping.
    pub(crate) fn ping(&mut self) {
        push_header(&mut self.out, OpCode::Control(Control::Ping), 0);
    }

    /// Queue a pong echoing `payload` (at most 125 bytes, checked by the reader).
    pub(crate) fn pong(&mut self, payload: &[u8]) {
        push_header(&mut self.out, OpCode::Control(Control::Pong), payload.len());
        self.out.extend_from_slice(payload);
    }

    /// Queue a close frame with `code` and a short `reason`.
    pub(crate) fn close(&mut self, code: u16, reason: &str) {
        // A control frame carries at most 125 bytes: the code, then the reason.
        let mut cut = reason.len().min(123);
        while !reason.is_char_boundary(cut) {
            cut -= 1;
        }
        let reason = &reason[..cut];
        push_header(
            &mut self.out,
            OpCode::Control(Control::Close),
            2 + reason.len(),
        );
        self.out.extend_from_slice(&code.to_be_bytes());
        self.out.extend_from_slice(reason.as_bytes());
    }

    /// Write everything queued. The buffer is kept for the next batch only when this
    /// one was large (a busy connection); otherwise it is given back. Progress is
    /// kept here, not in the future: a flush dropped half-way (a timeout, a
    /// `now_or_never`) and called again goes on where it stopped.
    pub(crate) async fn flush(&mut self) -> std::io::Result<()> {
        poll_fn(|cx| self.poll_flush(cx)).await
    }

    fn poll_flush(&mut self, cx: &mut std::task::Context<'_>) -> Poll<std::io::Result<()>> {
        while self.sent < self.out.len() {
            match ready!(Pin::new(&mut self.io).poll_write(cx, &self.out[self.sent..])) {
                Ok(0) => return Poll::Ready(Err(std::io::ErrorKind::WriteZero.into())),
                Ok(n) => self.sent += n,
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
        let keep = self.out.len() >= KEEP_BUFFER_FROM && self.out.capacity() <= MAX_KEPT_BUFFER;
        if keep {
            self.out.clear();
        } else {
            self.out = Vec::new();
        }
        self.sent = 0;
        Poll::Ready(Ok(()))
    }

    /// Give the write buffer back (an idle connection).
    pub(crate) fn release_memory(&mut self) {
        if self.out.is_empty() {
            self.out = Vec::new();
        }
    }

    /// End the connection (TCP FIN) once everything queued is written.
    pub(crate) async fn shutdown(&mut self) -> std::io::Result<()> {
        self.flush().await?;
        self.io.shutdown().await
    }
}

/// A batch of at least this many bytes keeps the write buffer for the next one.
const KEEP_BUFFER_FROM: usize = 1024;
/// A write buffer grown past this is not kept.
const MAX_KEPT_BUFFER: usize = 256 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(first: u8, payload: &[u8]) -> Vec<u8> {
        let mask = [1, 2, 3, 4];
        let mut out = vec![first];
        if payload.len() < 126 {
            out.push(0x80 | u8::try_from(payload.len()).unwrap());
        } else {
            out.push(0x80 | 126);
            out.extend_from_slice(&u16::try_from(payload.len()).unwrap().to_be_bytes());
        }
        out.extend_from_slice(&mask);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i & 3]));
        out
    }

    async fn read_all(bytes: Vec<u8>, max: usize) -> Vec<Result<Incoming, ReadError>> {
        let (mut client, server) = tokio::io::duplex(64);
        tokio::spawn(async move {
            // Written in small pieces: frames arrive split across reads.
            for piece in bytes.chunks(7) {
                if client.write_all(piece).await.is_err() {
                    return;
                }
            }
        });
        let mut reader = FrameReader::new(server, max);
        let mut out = Vec::new();
        loop {
            let r = reader.next().await;
            let end = r.is_err();
            out.push(r);
            if end {
                return out;
            }
        }
    }

    #[tokio::test]
    async fn reads_text_fragments_and_control_frames_across_reads() {
        let mut bytes = masked(0x81, b"hello");
        bytes.extend(masked(0x01, "wö".as_bytes()));
        bytes.extend(masked(0x89, b"p")); // a ping between fragments
        bytes.extend(masked(0x80, b"rld"));
        bytes.extend(masked(0x82, &[0, 159])); // binary
        bytes.extend(masked(0x81, &vec![b'x'; 300]));
        bytes.extend(masked(0x88, &1000u16.to_be_bytes()));
        let got = read_all(bytes, 1024).await;
        assert_eq!(
            got,
            vec![
                Ok(Incoming::Text("hello".into())),
                Ok(Incoming::Ping(b"p".to_vec())),
                Ok(Incoming::Text("wörld".into())),
                Ok(Incoming::Binary),
                Ok(Incoming::Text("x".repeat(300))),
                Ok(Incoming::Close),
                Err(ReadError::Gone),
            ]
        );
    }

    #[tokio::test]
    async fn refuses_oversized_unmasked_invalid_and_misordered_frames() {
        // Oversized, known from the header alone.
        let got = read_all(masked(0x81, &vec![b'x'; 300]), 100).await;
        assert_eq!(got, vec![Err(ReadError::TooLarge)]);
        // Oversized across fragments.
        let mut bytes = masked(0x01, &[b'x'; 60]);
        bytes.extend(masked(0x80, &[b'x'; 60]));
        assert_eq!(read_all(bytes, 100).await, vec![Err(ReadError::TooLarge)]);
        // Binary too, although its bytes are not kept: the limit is per message.
        let mut bytes = masked(0x02, &[b'x'; 60]);
        bytes.extend(masked(0x00, &[b'x'; 30]));
        bytes.extend(masked(0x80, &[b'x'; 30]));
        assert_eq!(read_all(bytes, 100).await, vec![Err(ReadError::TooLarge)]);
        // A fragmented binary message within the limit is read, and the next message
        // starts from zero.
        let mut bytes = masked(0x02, &[b'x'; 60]);
        bytes.extend(masked(0x80, &[b'x'; 40]));
        bytes.extend(masked(0x82, &[b'x'; 100]));
        assert_eq!(
            read_all(bytes, 100).await,
            vec![
                Ok(Incoming::Binary),
                Ok(Incoming::Binary),
                Err(ReadError::Gone)
            ]
        );
        // Unmasked.
        let got = read_all(vec![0x81, 0x01, b'x'], 100).await;
        assert!(matches!(got[..], [Err(ReadError::Protocol(_))]));
        // Not UTF-8.
        let got = read_all(masked(0x81, &[0xff, 0xfe]), 100).await;
        assert_eq!(got, vec![Err(ReadError::NotUtf8)]);
        // Continuation without a start; a new message inside a fragmented one.
        let got = read_all(masked(0x80, b"x"), 100).await;
        assert!(matches!(got[..], [Err(ReadError::Protocol(_))]));
        let mut bytes = masked(0x01, b"x");
        bytes.extend(masked(0x81, b"y"));
        assert!(matches!(
            read_all(bytes, 100).await[..],
            [Err(ReadError::Protocol(_))]
        ));
        // Reserved bits, reserved opcodes, oversized control frames.
        assert!(matches!(
            read_all(masked(0xC1, b"x"), 100).await[..],
            [Err(ReadError::Protocol(_))]
        ));
        assert!(matches!(
            read_all(masked(0x83, b"x"), 100).await[..],
            [Err(ReadError::Protocol(_))]
        ));
        assert!(matches!(
            read_all(masked(0x89, &[0; 126]), 1000).await[..],
            [Err(ReadError::Protocol(_))]
        ));
    }

    #[tokio::test]
    async fn a_flush_dropped_half_way_goes_on_where_it_stopped() {
        use futures::FutureExt;
        use tokio::io::AsyncReadExt;
        // A pipe that takes 100 bytes at a time: the first flush cannot finish.
        let (mut client, server) = tokio::io::duplex(100);
        let mut writer = FrameWriter::new(server);
        let payloads: Vec<Vec<u8>> = (0u8..10).map(|i| vec![b'a' + i; 50]).collect();
        for p in &payloads {
            writer.text(p);
        }
        assert!(writer.flush().now_or_never().is_none());
        let reading = tokio::spawn(async move {
            let mut all = Vec::new();
            client.read_to_end(&mut all).await.unwrap();
            all
        });
        writer.flush().await.unwrap();
        drop(writer);
        let all = reading.await.unwrap();
        let mut expected = Vec::new();
        for p in &payloads {
            expected.extend_from_slice(&[0x81, 50]);
            expected.extend_from_slice(p);
        }
        assert_eq!(all, expected);
    }

    #[tokio::test]
    async fn writes_frames_a_client_reads() {
        let (client, server) = tokio::io::duplex(1 << 16);
        let mut writer = FrameWriter::new(server);
        writer.text(b"{\"a\":1}");
        writer.text(&[b'y'; 200]);
        writer.ping();
        writer.close(4000, "bye");
        writer.shutdown().await.unwrap();
        // `writer` stays alive: the client answers the ping through it.
        let mut ws = tokio_tungstenite::WebSocketStream::from_raw_socket(
            client,
            tungstenite::protocol::Role::Client,
            None,
        )
        .await;
        use futures::StreamExt;
        let mut got = Vec::new();
        while let Some(Ok(m)) = ws.next().await {
            got.push(m);
        }
        drop(writer);
        assert_eq!(got.len(), 4, "{got:?}");
        assert_eq!(got[0], tungstenite::Message::text("{\"a\":1}"));
        assert_eq!(got[1], tungstenite::Message::text("y".repeat(200)));
        assert!(matches!(got[2], tungstenite::Message::Ping(_)));
        match &got[3] {
            tungstenite::Message::Close(Some(c)) => {
                assert_eq!(u16::from(c.code), 4000);
                assert_eq!(c.reason.as_str(), "bye");
            }
            other => panic!("expected a close frame, got {other:?}"),
        }
    }
}
