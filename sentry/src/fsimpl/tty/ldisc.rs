//! The line discipline (Linux's n_tty) as a pure state machine: input bytes
//! from the terminal's far side become readable data (whole lines in canonical
//! mode), echo and signals; written bytes get output processing. The pty wires
//! it to its queues and sends the signals.

use std::collections::VecDeque;

use abi::linux as l;
use abi::signal::{SIGINT, SIGQUIT, SIGTSTP};

use super::termios::Termios;

/// Linux's N_TTY_BUF_SIZE: what the input side holds.
pub const INPUT_CAPACITY: usize = 4096;

/// What receiving one byte did besides queueing and echoing it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    None,
    /// Send this signal to the foreground group; `flush`: input and output
    /// were discarded (no NOFLSH).
    Signal {
        signo: i32,
        flush: bool,
    },
    /// IXON: output stopped (STOP) or started again (START, or IXANY).
    OutputStopped(bool),
}

#[derive(Default)]
pub struct LineDiscipline {
    /// Bytes a read can take: complete lines in canonical mode, everything in
    /// non-canonical mode.
    ready: VecDeque<u8>,
    /// Canonical mode: where each complete line ends, counted from `ready`'s
    /// front (a line ended by EOF may be empty: a read of it returns 0).
    line_ends: VecDeque<usize>,
    /// The line being edited (canonical mode).
    line: Vec<u8>,
    /// The next byte is taken literally (LNEXT).
    literal_next: bool,
    /// Output column, for tabs and erasing.
    column: u32,
    /// Column where the edited line's echo started.
    line_column: u32,
}

fn is_control(c: u8) -> bool {
    c < 0x20 || c == 0x7f
}

impl LineDiscipline {
    /// Bytes a read would find now (FIONREAD): in canonical mode, only those of
    /// complete lines.
    pub fn readable_len(&self) -> usize {
        self.ready.len()
    }

    /// Whether a read would return now (data, or an end-of-file line), with
    /// non-canonical reads needing `min` bytes.
    pub fn can_read(&self, t: &Termios, min: usize) -> bool {
        if t.has_l(l::ICANON) {
            !self.line_ends.is_empty()
        } else {
            self.ready.len() >= min.max(1)
        }
    }

    /// Whether input must wait for room (reads make room).
    pub fn full(&self, t: &Termios) -> bool {
        let held = self.ready.len() + self.line.len();
        // A canonical line that fills the buffer does not stop the writer:
        // the rest of it is dropped until a line ends.
        held >= INPUT_CAPACITY - 1 && !(t.has_l(l::ICANON) && self.line_ends.is_empty())
    }

    /// Takes what a read returns into `buf`: at most one line in canonical mode.
    pub fn read(&mut self, t: &Termios, buf: &mut [u8]) -> usize {
        let avail = if t.has_l(l::ICANON) {
            match self.line_ends.front() {
                Some(&end) => end,
                None => return 0,
            }
        } else {
            self.ready.len()
        };
        let n = avail.min(buf.len());
        for (slot, b) in buf.iter_mut().zip(self.ready.drain(..n)) {
            *slot = b;
        }
        if t.has_l(l::ICANON) {
            for end in self.line_ends.iter_mut() {
                *end -= n;
            }
            if self.line_ends.front() == Some(&0) {
                self.line_ends.pop_front();
            }
        }
        n
    }

    /// Discards unread input (TCIFLUSH, signals without NOFLSH).
    pub fn flush_input(&mut self) {
        self.ready.clear();
        self.line_ends.clear();
        self.line.clear();
        self.literal_next = false;
    }

    /// New settings: leaving canonical mode makes the edited line readable;
    /// entering it makes what is readable one line (as Linux's n_tty does).
    pub fn settings_changed(&mut self, old: &Termios, new: &Termios) {
        let (was, is) = (old.has_l(l::ICANON), new.has_l(l::ICANON));
        if was && !is {
            self.ready.extend(self.line.drain(..));
            self.line_ends.clear();
        } else if !was && is {
            self.line_ends.clear();
            if !self.ready.is_empty() {
                self.line_ends.push_back(self.ready.len());
            }
        }
    }

    /// Output processing of `data` into `out` (OPOST and its flags).
    pub fn output(&mut self, t: &Termios, data: &[u8], out: &mut Vec<u8>) {
        for &c in data {
            self.output_byte(t, c, out);
        }
    }

    fn output_byte(&mut self, t: &Termios, c: u8, out: &mut Vec<u8>) {
        if !t.has_o(l::OPOST) {
            out.push(c);
            return;
        }
        match c {
            b'\n' => {
                if t.has_o(l::ONLRET) {
                    self.column = 0;
                }
                if t.has_o(l::ONLCR) {
                    self.column = 0;
                    out.extend_from_slice(b"\r\n");
                } else {
                    out.push(b'\n');
                }
            }
            b'\r' => {
                if t.has_o(l::ONOCR) && self.column == 0 {
                    return;
                }
                if t.has_o(l::OCRNL) {
                    if t.has_o(l::ONLRET) {
                        self.column = 0;
                    }
                    out.push(b'\n');
                } else {
                    self.column = 0;
                    out.push(b'\r');
                }
            }
            b'\t' => {
                let spaces = 8 - (self.column % 8);
                self.column += spaces;
                if t.oflag & l::TABDLY == l::XTABS {
                    out.extend(std::iter::repeat_n(b' ', spaces as usize));
                } else {
                    out.push(b'\t');
                }
            }
            8 => {
                self.column = self.column.saturating_sub(1);
                out.push(c);
            }
            _ => {
                let c = if t.has_o(l::OLCUC) {
                    c.to_ascii_uppercase()
                } else {
                    c
                };
                if !is_control(c) {
                    self.column += 1;
                }
                out.push(c);
            }
        }
    }

    /// Echoes `c` as typed: control characters as ^X with ECHOCTL.
    fn echo(&mut self, t: &Termios, c: u8, out: &mut Vec<u8>) {
        if t.has_l(l::ECHOCTL) && is_control(c) && c != b'\t' && c != b'\n' {
            self.output(t, &[b'^', c ^ 0x40], out);
        } else {
            self.output_byte(t, c, out);
        }
    }

    /// Receives one byte from the far side; echo goes to `echo`. None when
    /// there is no room (the byte was not taken).
    pub fn receive(&mut self, t: &Termios, c: u8, echo: &mut Vec<u8>) -> Option<Effect> {
        if self.full(t) {
            return None;
        }
        let mut c = c;
        if t.has_i(l::ISTRIP) {
            c &= 0x7f;
        }
        if t.has_i(l::IUCLC) && t.has_l(l::IEXTEN) {
            c = c.to_ascii_lowercase();
        }
        let echoing = t.has_l(l::ECHO);
        if std::mem::take(&mut self.literal_next) {
            if echoing {
                self.echo(t, c, echo);
            }
            self.put(t, c);
            return Some(Effect::None);
        }
        let mut effect = Effect::None;
        if t.has_i(l::IXON) {
            if t.is(c, l::VSTART) {
                return Some(Effect::OutputStopped(false));
            }
            if t.is(c, l::VSTOP) {
                return Some(Effect::OutputStopped(true));
            }
            if t.has_i(l::IXANY) {
                effect = Effect::OutputStopped(false);
            }
        }
        if t.has_l(l::ISIG) {
            let signo = [(l::VINTR, SIGINT), (l::VQUIT, SIGQUIT), (l::VSUSP, SIGTSTP)]
                .into_iter()
                .find(|&(i, _)| t.is(c, i))
                .map(|(_, s)| s);
            if let Some(signo) = signo {
                let flush = !t.has_l(l::NOFLSH);
                if flush {
                    self.flush_input();
                }
                if echoing {
                    self.echo(t, c, echo);
                }
                return Some(Effect::Signal { signo, flush });
            }
        }
        if c == b'\r' {
            if t.has_i(l::IGNCR) {
                return Some(effect);
            }
            if t.has_i(l::ICRNL) {
                c = b'\n';
            }
        } else if c == b'\n' && t.has_i(l::INLCR) {
            c = b'\r';
        }
        if t.has_l(l::ICANON) {
            self.receive_canonical(t, c, echo);
        } else {
            if echoing {
                self.echo(t, c, echo);
            }
            self.put(t, c);
        }
        Some(effect)
    }

    fn receive_canonical(&mut self, t: &Termios, c: u8, echo: &mut Vec<u8>) {
        let echoing = t.has_l(l::ECHO);
        let iexten = t.has_l(l::IEXTEN);
        if t.is(c, l::VERASE) || t.is(c, l::VKILL) || (iexten && t.is(c, l::VWERASE)) {
            self.erase(t, c, echo);
            return;
        }
        if iexten && t.is(c, l::VLNEXT) {
            self.literal_next = true;
            if echoing && t.has_l(l::ECHOCTL) {
                echo.extend_from_slice(b"^\x08");
            }
            return;
        }
        if iexten && t.is(c, l::VREPRINT) && echoing {
            self.echo(t, c, echo);
            self.output_byte(t, b'\n', echo);
            self.line_column = self.column;
            for b in self.line.clone() {
                self.echo(t, b, echo);
            }
            return;
        }
        if c == b'\n' {
            if echoing || t.has_l(l::ECHONL) {
                self.output_byte(t, b'\n', echo);
            }
            self.put(t, c);
            self.end_line();
            return;
        }
        if t.is(c, l::VEOF) {
            self.end_line();
            return;
        }
        let eol = t.is(c, l::VEOL) || (iexten && t.is(c, l::VEOL2));
        if echoing {
            if self.line.is_empty() {
                self.line_column = self.column;
            }
            self.echo(t, c, echo);
        }
        self.put(t, c);
        if eol {
            self.end_line();
        }
    }

    /// Adds a byte to the edited line (canonical) or the readable data.
    fn put(&mut self, t: &Termios, c: u8) {
        if !t.has_l(l::ICANON) {
            self.ready.push_back(c);
        } else if self.ready.len() + self.line.len() < INPUT_CAPACITY - 1 || c == b'\n' {
            self.line.push(c);
        }
    }

    fn end_line(&mut self) {
        self.ready.extend(self.line.drain(..));
        self.line_ends.push_back(self.ready.len());
    }

    /// ERASE, WERASE or KILL on the edited line, with the echo Linux gives.
    fn erase(&mut self, t: &Termios, c: u8, echo: &mut Vec<u8>) {
        if self.line.is_empty() {
            return;
        }
        let kill = t.is(c, l::VKILL);
        let word = !kill && !t.is(c, l::VERASE);
        if !t.has_l(l::ECHO) {
            if kill {
                self.line.clear();
            } else {
                self.erase_some(t, word, None);
            }
            return;
        }
        if kill && !(t.has_l(l::ECHOK) && t.has_l(l::ECHOKE) && t.has_l(l::ECHOE)) {
            self.line.clear();
            self.echo(t, c, echo);
            if t.has_l(l::ECHOK) {
                self.output_byte(t, b'\n', echo);
            }
            return;
        }
        if !kill && !word && !t.has_l(l::ECHOE) {
            self.erase_some(t, false, None);
            self.echo(t, c, echo);
            return;
        }
        if kill {
            while !self.line.is_empty() {
                self.erase_some(t, false, Some(echo));
            }
        } else {
            self.erase_some(t, word, Some(echo));
        }
    }

    /// Removes the last character (or word) of the edited line, rubbing it
    /// out on the screen when `echo` is given.
    fn erase_some(&mut self, t: &Termios, word: bool, mut echo: Option<&mut Vec<u8>>) {
        let mut seen_word = false;
        while let Some(&c) = self.line.last() {
            if word {
                if c.is_ascii_alphanumeric() || c == b'_' {
                    seen_word = true;
                } else if seen_word {
                    break;
                }
            }
            self.line.pop();
            // With IUTF8 a multibyte character goes whole.
            if t.has_i(l::IUTF8) && (c & 0xc0) == 0x80 {
                while self.line.last().is_some_and(|&b| b & 0xc0 == 0x80) {
                    self.line.pop();
                }
                self.line.pop();
            }
            if let Some(out) = echo.as_deref_mut() {
                self.rub_out(t, c, out);
            }
            if !word {
                break;
            }
        }
    }

    fn rub_out(&mut self, t: &Termios, c: u8, out: &mut Vec<u8>) {
        let columns = if c == b'\t' {
            let mut col = self.line_column;
            for &b in &self.line {
                col = match b {
                    b'\t' => col + 8 - col % 8,
                    b if is_control(b) && t.has_l(l::ECHOCTL) => col + 2,
                    b if is_control(b) => col,
                    _ => col + 1,
                };
            }
            self.column.saturating_sub(col)
        } else if is_control(c) {
            if t.has_l(l::ECHOCTL) { 2 } else { 0 }
        } else {
            1
        };
        if c == b'\t' {
            for _ in 0..columns {
                out.push(8);
            }
        } else {
            for _ in 0..columns {
                out.extend_from_slice(b"\x08 \x08");
            }
        }
        self.column = self.column.saturating_sub(columns);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(ld: &mut LineDiscipline, t: &Termios, input: &[u8]) -> (Vec<u8>, Vec<Effect>) {
        let mut echo = Vec::new();
        let mut effects = Vec::new();
        for &c in input {
            effects.push(ld.receive(t, c, &mut echo).expect("room"));
        }
        (echo, effects)
    }

    #[test]
    fn canonical_lines_with_erase_and_kill() {
        let t = Termios::pty_slave();
        let mut ld = LineDiscipline::default();
        let (echo, _) = feed(&mut ld, &t, b"helx\x7flo\r");
        assert_eq!(echo, b"helx\x08 \x08lo\r\n");
        let mut buf = [0u8; 64];
        assert_eq!(ld.read(&t, &mut buf), 6);
        assert_eq!(&buf[..6], b"hello\n");
        feed(&mut ld, &t, b"junk\x15ok\x04\x04");
        assert_eq!(ld.read(&t, &mut buf), 2);
        assert_eq!(&buf[..2], b"ok");
        assert!(ld.can_read(&t, 1));
        assert_eq!(ld.read(&t, &mut buf), 0, "EOF at the start of a line");
        assert!(!ld.can_read(&t, 1));
    }

    #[test]
    fn interrupt_flushes_and_echoes_caret() {
        let t = Termios::pty_slave();
        let mut ld = LineDiscipline::default();
        let (echo, effects) = feed(&mut ld, &t, b"ab\x03");
        assert_eq!(echo, b"ab^C");
        assert_eq!(
            effects[2],
            Effect::Signal {
                signo: SIGINT,
                flush: true
            }
        );
        assert_eq!(ld.readable_len(), 0);
    }

    #[test]
    fn raw_mode_and_output_processing() {
        let mut t = Termios::pty_slave();
        t.lflag &= !(l::ICANON | l::ECHO);
        let mut ld = LineDiscipline::default();
        feed(&mut ld, &t, b"x\ry");
        let mut buf = [0u8; 8];
        assert_eq!(ld.read(&t, &mut buf), 3);
        assert_eq!(&buf[..3], b"x\ny");
        let mut out = Vec::new();
        ld.output(&t, b"a\nb", &mut out);
        assert_eq!(out, b"a\r\nb");
    }
}
