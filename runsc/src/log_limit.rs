//! The log writer under every log line runsc writes (`--debug-log`, `--log`):
//! the container decides how often some lines are logged (one per call of
//! an unsupported syscall), so repeats are counted rather than written and
//! the file stops growing at a size limit.
//!
//! A line is a repeat when it equals one of the last `RECENT` different
//! lines but for the timestamp and the thread id (the same message from
//! another thread of a spinning program, or two calls in turn). The first
//! one is written; the count of the others follows as a line of its own
//! ("last message repeated N times", or "message repeated N times: ..."
//! when other lines came between) when a new line comes, every
//! `SUMMARY_EVERY` while they go on, and at the end (`finish`).

use std::io::Write;
use std::time::{Duration, Instant};

/// How often a run of repeated lines is summed up while it goes on.
const SUMMARY_EVERY: Duration = Duration::from_secs(10);

/// How many different recent lines repeats are looked for among.
const RECENT: usize = 8;

/// Room kept under the limit for the line saying the log was truncated.
const LAST_LINE_ROOM: u64 = 200;

/// Lines in the format the rest of the log has.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Format {
    Text,
    Json,
}

pub struct LimitedLog<W: Write> {
    out: W,
    format: Format,
    /// Bytes the file holds (what it had when opened, and what we added).
    size: u64,
    /// 0: no limit.
    limit: u64,
    truncated: bool,
    /// The last different lines written, oldest first.
    recent: std::collections::VecDeque<Recent>,
}

/// A line written, and its repeats not written.
struct Recent {
    /// The line without what differs between repeats.
    key: Vec<u8>,
    /// Repeats since it was written (or last summed up).
    repeats: u64,
    since: Instant,
}

impl<W: Write> LimitedLog<W> {
    /// A writer to `out`, which already holds `size` bytes.
    pub fn new(out: W, format: Format, size: u64, limit: u64) -> Self {
        Self {
            out,
            format,
            size,
            limit,
            truncated: false,
            recent: std::collections::VecDeque::new(),
        }
    }

    /// Writes the count of repeats not yet summed up (at exit).
    pub fn finish(&mut self) {
        self.summarize_all();
        let _ = self.out.flush();
    }

    fn line(&mut self, line: &[u8]) {
        let key = repeat_key(line, self.format);
        if let Some(i) = self.recent.iter().position(|r| r.key == key) {
            let r = &mut self.recent[i];
            r.repeats += 1;
            if r.since.elapsed() >= SUMMARY_EVERY {
                self.summarize(i);
            }
            return;
        }
        self.summarize_all();
        if self.recent.len() == RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back(Recent {
            key: key.to_vec(),
            repeats: 0,
            since: Instant::now(),
        });
        self.emit(line);
    }

    fn summarize_all(&mut self) {
        for i in 0..self.recent.len() {
            self.summarize(i);
        }
    }

    /// "... repeated N times" for the repeats of `recent[i]` counted so far.
    fn summarize(&mut self, i: usize) {
        let last = i + 1 == self.recent.len();
        let r = &mut self.recent[i];
        if r.repeats == 0 {
            return;
        }
        let message = if last {
            format!("last message repeated {} times", r.repeats)
        } else {
            // Other lines came since: say which.
            let text = String::from_utf8_lossy(&r.key);
            let text: String = text.trim().chars().take(200).collect();
            format!("message repeated {} times: {text}", r.repeats)
        };
        r.repeats = 0;
        r.since = Instant::now();
        let line = self.own_line("INFO", &message);
        self.emit(line.as_bytes());
    }

    fn own_line(&self, level: &str, message: &str) -> String {
        let time = crate::rfc3339::now();
        match self.format {
            Format::Text => format!("{time} {level:>5} runsc::log_limit: {message}\n"),
            Format::Json => format!(
                "{}\n",
                serde_json::json!({
                    "timestamp": time,
                    "level": level,
                    "fields": {"message": message},
                    "target": "runsc::log_limit",
                })
            ),
        }
    }

    fn emit(&mut self, line: &[u8]) {
        if self.truncated {
            return;
        }
        let len = line.len() as u64;
        if self.limit != 0 && self.size + len + LAST_LINE_ROOM > self.limit {
            self.truncated = true;
            let last = self.own_line(
                "WARN",
                &format!(
                    "log truncated: it reached its limit of {} bytes (--log-limit)",
                    self.limit
                ),
            );
            self.write_out(last.as_bytes());
            return;
        }
        self.write_out(line);
    }

    fn write_out(&mut self, bytes: &[u8]) {
        if self.out.write_all(bytes).is_ok() {
            self.size += bytes.len() as u64;
        }
    }
}

impl<W: Write> Write for LimitedLog<W> {
    /// Takes whole lines (tracing writes one event at a time); a last piece
    /// without its newline counts as a line.
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        for line in buf.split_inclusive(|&b| b == b'\n') {
            self.line(line);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// `line` without what differs between repeats of one message: the leading
/// timestamp and the thread id (text), or the timestamp field (JSON).
fn repeat_key(line: &[u8], format: Format) -> &[u8] {
    match format {
        Format::Text => {
            let mut rest = line;
            // "2026-01-01T00:00:00.000000Z  WARN ThreadId(02) target: ..."
            if rest.first().is_some_and(u8::is_ascii_digit)
                && let Some(space) = rest.iter().position(|&b| b == b' ')
            {
                rest = &rest[space..];
            }
            let trimmed = rest.trim_ascii_start();
            // Past the level: the thread id, if any.
            if let Some(space) = trimmed.iter().position(|&b| b == b' ') {
                let after = trimmed[space..].trim_ascii_start();
                if after.starts_with(b"ThreadId(")
                    && let Some(close) = after.iter().position(|&b| b == b')')
                {
                    return &after[close + 1..];
                }
            }
            rest
        }
        Format::Json => {
            // {"timestamp":"...","level":...}: what follows the timestamp.
            const FIELD: &[u8] = b"\"timestamp\":\"";
            match line.windows(FIELD.len()).position(|w| w == FIELD) {
                Some(at) => {
                    let value = &line[at + FIELD.len()..];
                    match value.iter().position(|&b| b == b'"') {
                        Some(end) => &value[end + 1..],
                        None => line,
                    }
                }
                None => line,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Format, LimitedLog};
    use std::io::Write;

    fn text_line(time: &str, thread: u32, msg: &str) -> String {
        format!("2026-12-08T02:{time}Z  WARN ThreadId({thread:02}) syscalls::table: {msg}\n")
    }

    fn written(log: LimitedLog<Vec<u8>>) -> String {
        String::from_utf8(log.out).unwrap()
    }

    #[test]
    fn repeats_are_counted_not_written() {
        let mut log = LimitedLog::new(Vec::new(), Format::Text, 0, 0);
        for i in 0..1000 {
            let line = text_line(
                &format!("00:{:02}.{i:06}", i % 60),
                2 + i % 3,
                "acct(0x0) = ENOSYS",
            );
            log.write_all(line.as_bytes()).unwrap();
        }
        log.write_all(text_line("01:00.0", 2, "something else").as_bytes())
            .unwrap();
        log.write_all(text_line("01:00.1", 2, "something else").as_bytes())
            .unwrap();
        log.finish();
        let out = written(log);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 4, "{out}");
        assert!(lines[0].ends_with("acct(0x0) = ENOSYS"), "{out}");
        assert!(
            lines[1].ends_with("last message repeated 999 times"),
            "{out}"
        );
        assert!(lines[2].ends_with("something else"), "{out}");
        assert!(lines[3].ends_with("last message repeated 1 times"), "{out}");
    }

    #[test]
    fn lines_in_turn_are_counted_each() {
        let mut log = LimitedLog::new(Vec::new(), Format::Text, 0, 0);
        for i in 0..100 {
            let msg = if i % 2 == 0 { "acct(0x0)" } else { "acct(0x1)" };
            log.write_all(text_line("00:00.0", 2, msg).as_bytes())
                .unwrap();
        }
        log.finish();
        let out = written(log);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 4, "{out}");
        assert!(
            lines[2].ends_with("message repeated 49 times: syscalls::table: acct(0x0)"),
            "{out}"
        );
        assert!(
            lines[3].ends_with("last message repeated 49 times"),
            "{out}"
        );
    }

    #[test]
    fn different_lines_are_all_written() {
        let mut log = LimitedLog::new(Vec::new(), Format::Text, 0, 0);
        for i in 0..10 {
            log.write_all(text_line("00:00.0", 1, &format!("call {i}")).as_bytes())
                .unwrap();
        }
        log.finish();
        assert_eq!(written(log).lines().count(), 10);
    }

    #[test]
    fn json_lines_repeat_but_for_their_timestamp() {
        let mut log = LimitedLog::new(Vec::new(), Format::Json, 0, 0);
        for i in 0..5 {
            let line = format!(
                "{{\"timestamp\":\"2026-12-08T02:00:0{i}Z\",\"level\":\"WARN\",\"fields\":{{\"message\":\"x\"}}}}\n"
            );
            log.write_all(line.as_bytes()).unwrap();
        }
        log.finish();
        let out = written(log);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2, "{out}");
        let summary: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
        assert_eq!(
            summary["fields"]["message"],
            "last message repeated 4 times"
        );
    }

    #[test]
    fn the_file_stops_at_its_limit_with_a_last_line_saying_so() {
        let limit = 10_000;
        // The file held 1000 bytes already.
        let mut log = LimitedLog::new(Vec::new(), Format::Text, 1000, limit);
        for i in 0..10_000 {
            log.write_all(text_line("00:00.0", 1, &format!("call {i}")).as_bytes())
                .unwrap();
        }
        log.finish();
        let out = written(log);
        assert!(1000 + out.len() as u64 <= limit, "{} bytes", out.len());
        let last = out.lines().last().unwrap();
        assert!(last.contains("log truncated"), "{last}");
        assert_eq!(out.matches("log truncated").count(), 1);
    }
}
