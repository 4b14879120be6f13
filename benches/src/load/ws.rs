//! A minimal WebSocket client for the load generator: a plain TCP stream, a hand-made
//! upgrade request, and frame parsing straight out of one read buffer.
//!
//! Why not a client library: at a million deliveries a second on one core the
//! generator must cost less per frame than the server does; parsing frames in place
//! and scanning only for the generator's own marker keeps it well under a
//! microsecond per frame.

use std::io;

use base64::Engine as _;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Largest frame the generator accepts (events are small; history pages are not read).
const MAX_FRAME: usize = 16 << 20;

/// One frame read from the server.
#[derive(Debug, PartialEq, Eq)]
pub enum Incoming<'a> {
    /// A text frame's payload.
    Text(&'a [u8]),
    /// A binary frame (not used by the protocols measured; counted and ignored).
    Binary,
    /// A ping whose payload must be echoed in a pong.
    Ping(Vec<u8>),
    /// A pong.
    Pong,
    /// A close frame, with its code when present.
    Close(Option<u16>),
}

/// A WebSocket connection (client side).
#[derive(Debug)]
pub struct WsClient {
    stream: TcpStream,
    buf: Vec<u8>,
    /// Start of unparsed bytes in `buf`.
    pos: usize,
    /// Length of the frame handed out last (consumed on the next call).
    pending: usize,
    /// Reassembly of fragmented text messages.
    frag: Vec<u8>,
    out: Vec<u8>,
    mask_state: u32,
}

/// Connect and upgrade. `path` includes the query; `headers` are extra request headers.
pub async fn connect(
    addr: &str,
    path: &str,
    headers: &[(&str, &str)],
    read_buf: usize,
) -> io::Result<WsClient> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let key = base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 16]>());
    let mut req = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
    );
    for (k, v) in headers {
        req.push_str(k);
        req.push_str(": ");
        req.push_str(v);
        req.push_str("\r\n");
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes()).await?;
    let mut buf = vec![0u8; read_buf.max(4096)];
    let mut filled = 0;
    let header_end = loop {
        if filled == buf.len() {
            return Err(io::Error::other("upgrade response too large"));
        }
        let n = stream.read(&mut buf[filled..]).await?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "closed during the upgrade",
            ));
        }
        filled += n;
        if let Some(i) = memchr::memmem::find(&buf[..filled], b"\r\n\r\n") {
            break i + 4;
        }
    };
    let status_line = buf[..header_end]
        .split(|b| *b == b'\n')
        .next()
        .unwrap_or(&[]);
    if !status_line.windows(5).any(|w| w == b" 101 ") {
        let text = String::from_utf8_lossy(&buf[..header_end]).into_owned();
        return Err(io::Error::other(format!("upgrade refused: {text}")));
    }
    buf.copy_within(header_end..filled, 0);
    let left = filled - header_end;
    buf.truncate(left);
    buf.reserve(read_buf.max(4096).saturating_sub(left));
    Ok(WsClient {
        stream,
        buf,
        pos: 0,
        pending: 0,
        frag: Vec::new(),
        out: Vec::with_capacity(256),
        mask_state: rand::random::<u32>() | 1,
    })
}

impl WsClient {
    /// The next frame. Cancel safe: nothing is lost if the future is dropped.
    pub async fn next(&mut self) -> io::Result<Incoming<'_>> {
        self.pos += std::mem::take(&mut self.pending);
        loop {
            match self.parse()? {
                Some((kind, start, len)) => {
                    let payload_end = start + len;
                    let frame_len = payload_end - self.pos;
                    return Ok(match kind {
                        // Text or binary, final.
                        Kind::Text => {
                            self.pending = frame_len;
                            Incoming::Text(&self.buf[start..payload_end])
                        }
                        Kind::FragText => {
                            self.frag.extend_from_slice(&self.buf[start..payload_end]);
                            self.pos += frame_len;
                            continue;
                        }
                        Kind::FragEnd => {
                            self.frag.extend_from_slice(&self.buf[start..payload_end]);
                            self.pos += frame_len;
                            // Hand the reassembled message out of `frag`.
                            return Ok(Incoming::Text(&self.frag));
                        }
                        Kind::Binary => {
                            self.pos += frame_len;
                            Incoming::Binary
                        }
                        Kind::Ping => {
                            let p = self.buf[start..payload_end].to_vec();
                            self.pos += frame_len;
                            Incoming::Ping(p)
                        }
                        Kind::Pong => {
                            self.pos += frame_len;
                            Incoming::Pong
                        }
                        Kind::Close => {
                            let code = (len >= 2).then(|| {
                                u16::from_be_bytes([self.buf[start], self.buf[start + 1]])
                            });
                            self.pos += frame_len;
                            Incoming::Close(code)
                        }
                    });
                }
                None => self.fill().await?,
            }
        }
    }

    /// Read more bytes, compacting the buffer first.
    async fn fill(&mut self) -> io::Result<()> {
        if self.pos > 0 {
            self.buf.copy_within(self.pos.., 0);
            self.buf.truncate(self.buf.len() - self.pos);
            self.pos = 0;
        }
        if self.buf.capacity() - self.buf.len() < 1024 {
            self.buf.reserve(self.buf.capacity().max(4096));
        }
        let n = self.stream.read_buf(&mut self.buf).await?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "server closed the connection",
            ));
        }
        Ok(())
    }

    /// Parse one complete frame at `pos`: its kind, payload start and length.
    fn parse(&mut self) -> io::Result<Option<(Kind, usize, usize)>> {
        let b = &self.buf[self.pos..];
        if b.len() < 2 {
            return Ok(None);
        }
        let fin = b[0] & 0x80 != 0;
        let opcode = b[0] & 0x0f;
        if b[1] & 0x80 != 0 {
            return Err(io::Error::other("masked frame from the server"));
        }
        let (len, hdr) = match b[1] & 0x7f {
            126 => {
                if b.len() < 4 {
                    return Ok(None);
                }
                (usize::from(u16::from_be_bytes([b[2], b[3]])), 4)
            }
            127 => {
                if b.len() < 10 {
                    return Ok(None);
                }
                let mut x = [0u8; 8];
                x.copy_from_slice(&b[2..10]);
                (
                    usize::try_from(u64::from_be_bytes(x)).unwrap_or(usize::MAX),
                    10,
                )
            }
            n => (usize::from(n), 2),
        };
        if len > MAX_FRAME {
            return Err(io::Error::other("frame too large"));
        }
        if b.len() < hdr + len {
            if self.buf.capacity() < self.pos + hdr + len {
                self.buf.reserve(hdr + len);
            }
            return Ok(None);
        }
        let start = self.pos + hdr;
        let kind = match (opcode, fin) {
            (0x1, true) => Kind::Text,
            (0x1, false) => {
                self.frag.clear();
                Kind::FragText
            }
            (0x0, false) => Kind::FragText,
            (0x0, true) => Kind::FragEnd,
            (0x2, _) => Kind::Binary,
            (0x8, _) => Kind::Close,
            (0x9, _) => Kind::Ping,
            (0xa, _) => Kind::Pong,
            _ => return Err(io::Error::other("unknown opcode")),
        };
        Ok(Some((kind, start, len)))
    }

    /// Send a text frame (masked, as clients must).
    pub async fn send_text(&mut self, payload: &[u8]) -> io::Result<()> {
        self.frame(0x1, payload);
        self.flush().await
    }

    /// Queue a text frame; [`WsClient::flush`] sends everything queued in one write.
    pub fn queue_text(&mut self, payload: &[u8]) {
        self.frame(0x1, payload);
    }

    /// Answer a ping.
    pub async fn pong(&mut self, payload: &[u8]) -> io::Result<()> {
        self.frame(0xa, payload);
        self.flush().await
    }

    /// Send a close frame (best effort).
    pub async fn close(&mut self) {
        self.frame(0x8, &1000u16.to_be_bytes());
        let _ = self.flush().await;
    }

    /// Write whatever is queued.
    pub async fn flush(&mut self) -> io::Result<()> {
        if !self.out.is_empty() {
            self.stream.write_all(&self.out).await?;
            self.out.clear();
        }
        Ok(())
    }

    fn frame(&mut self, opcode: u8, payload: &[u8]) {
        self.out.push(0x80 | opcode);
        let len = payload.len();
        if len < 126 {
            self.out.push(0x80 | u8::try_from(len).unwrap_or(0));
        } else if let Ok(l) = u16::try_from(len) {
            self.out.push(0x80 | 126);
            self.out.extend_from_slice(&l.to_be_bytes());
        } else {
            self.out.push(0x80 | 127);
            self.out.extend_from_slice(&(len as u64).to_be_bytes());
        }
        // xorshift: masks need not be secret here, only present.
        let mut x = self.mask_state;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.mask_state = x;
        let mask = x.to_be_bytes();
        self.out.extend_from_slice(&mask);
        let start = self.out.len();
        self.out.extend_from_slice(payload);
        for (i, b) in self.out[start..].iter_mut().enumerate() {
            *b ^= mask[i & 3];
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Text,
    FragText,
    FragEnd,
    Binary,
    Ping,
    Pong,
    Close,
}
