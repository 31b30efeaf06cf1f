//! Streaming redaction: the project's known secret values (and their
//! encoded forms, see [`crate::known`]) replaced with `[REDACTED:KEY]` in
//! any stream of bytes.
//!
//! A [`Redactor`] wraps an [`io::Write`]. It holds back at most the length
//! of the longest pattern minus one byte, so a value split across two
//! writes is still found; every complete line is passed on at once (no
//! pattern spans a line end), so a log read interactively is not delayed.
//! Bytes that are not part of a known value pass through untouched,
//! whatever they are (invalid UTF-8, NUL, escape sequences).

use std::io::{self, Write};
use std::sync::Arc;

use crate::known::KnownValues;

/// An [`io::Write`] that redacts known values on their way to `inner`.
///
/// Call [`Redactor::finish`] (or drop it) at the end of the stream to pass
/// on the bytes held back; [`Write::flush`] passes on what can be decided
/// and flushes `inner`.
///
/// Redacting an application's own log lines:
///
/// ```
/// use std::io::Write;
/// use std::sync::Arc;
/// use envward::known::KnownValues;
/// use envward::redact::Redactor;
///
/// // In an application: KnownValues::load(&project, &options, false)?
/// let mut values = KnownValues::builder(8);
/// values.add("production", "DATABASE_PASSWORD", "hunter2-but-longer");
/// let known = Arc::new(values.build());
///
/// let mut log = Redactor::new(known, Vec::new());
/// // A value split across writes is still redacted.
/// log.write_all(b"connecting with hunter2-")?;
/// log.write_all(b"but-longer\n")?;
/// let out = log.finish()?;
/// assert_eq!(out, b"connecting with [REDACTED:DATABASE_PASSWORD]\n");
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Redactor<W: Write> {
    known: Arc<KnownValues>,
    inner: Option<W>,
    pending: Vec<u8>,
    redacted: usize,
}

impl<W: Write> Redactor<W> {
    /// A redactor of `known` values writing to `inner`.
    pub fn new(known: Arc<KnownValues>, inner: W) -> Self {
        Redactor {
            known,
            inner: Some(inner),
            pending: Vec::new(),
            redacted: 0,
        }
    }

    /// How many values were replaced so far.
    pub fn redacted(&self) -> usize {
        self.redacted
    }

    /// The writer redacted text goes to.
    pub fn get_ref(&self) -> &W {
        self.inner
            .as_ref()
            .unwrap_or_else(|| unreachable!("inner is taken only by finish, which consumes self"))
    }

    /// Passes on the bytes held back and returns the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.process(true)?;
        let mut inner = self
            .inner
            .take()
            .unwrap_or_else(|| unreachable!("inner is taken only here"));
        inner.flush()?;
        Ok(inner)
    }

    /// Writes out everything in `pending` that can be decided: all of it
    /// at the end of the stream; otherwise up to the last line end, or up
    /// to where a value could still be starting.
    fn process(&mut self, eof: bool) -> io::Result<()> {
        let Some(inner) = self.inner.as_mut() else {
            return Ok(());
        };
        let buf = &self.pending;
        let hold = if eof {
            0
        } else {
            self.known.max_len().saturating_sub(1)
        };
        let mut safe = buf.len().saturating_sub(hold);
        if !eof && let Some(nl) = memchr::memrchr(b'\n', buf) {
            safe = safe.max(nl + 1);
        }
        let mut pos = 0;
        for m in self.known.find_iter(buf) {
            if m.start >= safe {
                break;
            }
            inner.write_all(&buf[pos..m.start])?;
            inner.write_all(b"[REDACTED:")?;
            inner.write_all(m.pattern.key.as_bytes())?;
            inner.write_all(b"]")?;
            self.redacted += 1;
            pos = m.end;
        }
        if pos < safe {
            inner.write_all(&buf[pos..safe])?;
            pos = safe;
        }
        self.pending.drain(..pos);
        Ok(())
    }
}

impl<W: Write> Write for Redactor<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(data);
        self.process(false)?;
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.process(false)?;
        match self.inner.as_mut() {
            Some(inner) => inner.flush(),
            None => Ok(()),
        }
    }
}

impl<W: Write> Drop for Redactor<W> {
    fn drop(&mut self) {
        if self.inner.is_some() {
            let _ = self.process(true);
            if let Some(inner) = self.inner.as_mut() {
                let _ = inner.flush();
            }
        }
    }
}

/// Redaction of an application's own logs written with `tracing`: a
/// [`tracing_subscriber::fmt::MakeWriter`] whose writer passes each event's
/// text through a [`Redactor`] before the wrapped writer gets it. Give it
/// to the `fmt` layer (`.with_writer(…)`): every known value, in any of its
/// encoded forms, becomes `[REDACTED:KEY]`, whatever field or message held
/// it.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use envward::known::KnownValues;
/// use envward::redact::RedactingMakeWriter;
///
/// // In an application: `KnownValues::load(&project, &options, false)`.
/// let mut b = KnownValues::builder(8);
/// b.add("production", "API_TOKEN", "tok-1234567890abcdef");
/// let known = Arc::new(b.build());
///
/// let out = Arc::new(Mutex::new(Vec::new()));
/// let sink = out.clone();
/// let subscriber = tracing_subscriber::fmt()
///     .with_writer(RedactingMakeWriter::new(known, move || SharedVec(sink.clone())))
///     .with_ansi(false)
///     .finish();
/// tracing::subscriber::with_default(subscriber, || {
///     tracing::info!(token = "tok-1234567890abcdef", "calling the API");
/// });
/// let text = String::from_utf8(out.lock().unwrap().clone()).unwrap();
/// assert!(text.contains("token=\"[REDACTED:API_TOKEN]\""), "{text}");
/// assert!(!text.contains("tok-1234567890abcdef"));
///
/// // A writer into a shared buffer (an application would use stderr, a file…).
/// struct SharedVec(Arc<Mutex<Vec<u8>>>);
/// impl std::io::Write for SharedVec {
///     fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
///         self.0.lock().unwrap().extend_from_slice(b);
///         Ok(b.len())
///     }
///     fn flush(&mut self) -> std::io::Result<()> { Ok(()) }
/// }
/// ```
///
/// Each event is redacted as a whole: the `fmt` layer writes an event's
/// line at once, and the redactor's writer is flushed when it ends. A value
/// split across two events is not seen.
pub struct RedactingMakeWriter<M> {
    known: Arc<KnownValues>,
    inner: M,
}

impl<M> RedactingMakeWriter<M> {
    /// Redacts `known` values from what `inner`'s writers receive.
    pub fn new(known: Arc<KnownValues>, inner: M) -> Self {
        RedactingMakeWriter { known, inner }
    }
}

impl<'a, M> tracing_subscriber::fmt::MakeWriter<'a> for RedactingMakeWriter<M>
where
    M: tracing_subscriber::fmt::MakeWriter<'a>,
{
    type Writer = Redactor<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        Redactor::new(self.known.clone(), self.inner.make_writer())
    }

    fn make_writer_for(&'a self, meta: &tracing_core::Metadata<'_>) -> Self::Writer {
        Redactor::new(self.known.clone(), self.inner.make_writer_for(meta))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> Arc<KnownValues> {
        let mut b = KnownValues::builder(8);
        b.add("production", "API_TOKEN", "tok-1234567890abcdef");
        b.add("production", "DB_PASSWORD", "correct horse battery");
        Arc::new(b.build())
    }

    fn redact_in_pieces(input: &[u8], piece: usize) -> Vec<u8> {
        let mut r = Redactor::new(known(), Vec::new());
        for chunk in input.chunks(piece.max(1)) {
            r.write_all(chunk).unwrap();
        }
        r.finish().unwrap()
    }

    #[test]
    fn values_split_across_writes_are_redacted_at_every_split() {
        let input = b"a tok-1234567890abcdef b correct horse battery c\n\xff\xfe tail";
        let expected = b"a [REDACTED:API_TOKEN] b [REDACTED:DB_PASSWORD] c\n\xff\xfe tail".to_vec();
        for piece in 1..input.len() + 1 {
            assert_eq!(
                redact_in_pieces(input, piece),
                expected,
                "pieces of {piece}"
            );
        }
    }

    #[test]
    fn complete_lines_pass_at_once() {
        let mut r = Redactor::new(known(), Vec::new());
        r.write_all(b"line one\nline t").unwrap();
        assert_eq!(r.get_ref().as_slice(), b"line one\n");
        r.flush().unwrap();
        let out = r.finish().unwrap();
        assert_eq!(out, b"line one\nline t");
    }

    #[test]
    fn bytes_without_values_pass_untouched() {
        let input: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
        assert_eq!(redact_in_pieces(&input, 7), input);
    }

    #[test]
    fn nothing_known_is_a_passthrough() {
        let mut r = Redactor::new(Arc::new(KnownValues::builder(8).build()), Vec::new());
        r.write_all(b"abc").unwrap();
        assert_eq!(r.finish().unwrap(), b"abc");
    }
}
