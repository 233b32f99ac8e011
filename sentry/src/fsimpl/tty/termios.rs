//! Terminal settings as the ioctls carry them: `struct termios` (TCGETS),
//! `struct termios2` (TCGETS2, with explicit speeds), the old `struct termio`
//! (TCGETA), and `struct winsize`.

use abi::linux as l;

pub const NCCS: usize = 19;

/// The kernel's `struct termios2`: the settings one terminal keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Termios {
    pub iflag: u32,
    pub oflag: u32,
    pub cflag: u32,
    pub lflag: u32,
    pub line: u8,
    pub cc: [u8; NCCS],
    pub ispeed: u32,
    pub ospeed: u32,
}

/// Sizes of the structures on x86-64.
pub const TERMIOS_SIZE: usize = 36;
pub const TERMIOS2_SIZE: usize = 44;
pub const TERMIO_SIZE: usize = 18;
pub const WINSIZE_SIZE: usize = 8;

/// Linux's INIT_C_CC: ^C ^\ DEL ^U ^D, TIME 0, MIN 1, ^Q ^S ^Z, ^R ^O ^W ^V.
const INIT_CC: [u8; NCCS] = [
    3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0, 0, 0,
];

impl Termios {
    /// What a pty slave starts with (Linux's tty_std_termios without HUPCL).
    pub fn pty_slave() -> Termios {
        Termios {
            iflag: l::ICRNL | l::IXON,
            oflag: l::OPOST | l::ONLCR,
            cflag: l::B38400 | l::CS8 | l::CREAD,
            lflag: l::ISIG
                | l::ICANON
                | l::ECHO
                | l::ECHOE
                | l::ECHOK
                | l::ECHOCTL
                | l::ECHOKE
                | l::IEXTEN,
            line: 0,
            cc: INIT_CC,
            ispeed: 38400,
            ospeed: 38400,
        }
    }

    pub fn has_l(&self, flag: u32) -> bool {
        self.lflag & flag != 0
    }
    pub fn has_i(&self, flag: u32) -> bool {
        self.iflag & flag != 0
    }
    pub fn has_o(&self, flag: u32) -> bool {
        self.oflag & flag != 0
    }
    /// Control character `index` (VINTR...), if enabled (0 disables one).
    pub fn cc(&self, index: u32) -> Option<u8> {
        let c = self.cc[index as usize];
        (c != 0).then_some(c)
    }
    /// Whether `c` is control character `index`.
    pub fn is(&self, c: u8, index: u32) -> bool {
        self.cc(index) == Some(c)
    }

    /// `struct termios` bytes (TCGETS).
    pub fn to_termios(&self) -> [u8; TERMIOS_SIZE] {
        let mut b = [0u8; TERMIOS_SIZE];
        for (i, v) in [self.iflag, self.oflag, self.cflag, self.lflag]
            .iter()
            .enumerate()
        {
            b[i * 4..i * 4 + 4].copy_from_slice(&v.to_le_bytes());
        }
        b[16] = self.line;
        b[17..].copy_from_slice(&self.cc);
        b
    }

    /// `struct termios2` bytes (TCGETS2).
    pub fn to_termios2(&self) -> [u8; TERMIOS2_SIZE] {
        let mut b = [0u8; TERMIOS2_SIZE];
        b[..TERMIOS_SIZE].copy_from_slice(&self.to_termios());
        b[36..40].copy_from_slice(&self.ispeed.to_le_bytes());
        b[40..44].copy_from_slice(&self.ospeed.to_le_bytes());
        b
    }

    /// Settings from `struct termios` (TCSETS) or `struct termios2` (TCSETS2)
    /// bytes; without explicit speeds they follow the baud bits of `cflag`.
    pub fn from_bytes(b: &[u8]) -> Termios {
        let word = |i: usize| u32::from_le_bytes(b[i * 4..i * 4 + 4].try_into().unwrap());
        let mut t = Termios {
            iflag: word(0),
            oflag: word(1),
            cflag: word(2),
            lflag: word(3),
            line: b[16],
            cc: b[17..17 + NCCS].try_into().unwrap(),
            ispeed: 0,
            ospeed: 0,
        };
        if b.len() >= TERMIOS2_SIZE && t.cflag & l::CBAUD == l::BOTHER {
            t.ispeed = word(9);
            t.ospeed = word(10);
        } else {
            let speed = baud_rate(t.cflag & l::CBAUD);
            t.ospeed = speed;
            t.ispeed = match (t.cflag >> 16) & l::CBAUD {
                0 => speed,
                bits => baud_rate(bits),
            };
        }
        t
    }

    /// `struct termio` bytes (TCGETA): 16-bit flags and the first 8 characters.
    pub fn to_termio(&self) -> [u8; TERMIO_SIZE] {
        let mut b = [0u8; TERMIO_SIZE];
        for (i, v) in [self.iflag, self.oflag, self.cflag, self.lflag]
            .iter()
            .enumerate()
        {
            b[i * 2..i * 2 + 2].copy_from_slice(&(*v as u16).to_le_bytes());
        }
        b[8] = self.line;
        b[9..17].copy_from_slice(&self.cc[..8]);
        b
    }

    /// TCSETA: the low 16 bits of each flag word and the first 8 characters
    /// change; the rest is kept (Linux's user_termio_to_kernel_termios).
    pub fn with_termio(&self, b: &[u8]) -> Termios {
        let half = |i: usize| u16::from_le_bytes([b[i * 2], b[i * 2 + 1]]) as u32;
        let mut t = *self;
        t.iflag = (t.iflag & 0xffff_0000) | half(0);
        t.oflag = (t.oflag & 0xffff_0000) | half(1);
        t.cflag = (t.cflag & 0xffff_0000) | half(2);
        t.lflag = (t.lflag & 0xffff_0000) | half(3);
        t.line = b[8];
        t.cc[..8].copy_from_slice(&b[9..17]);
        let speed = baud_rate(t.cflag & l::CBAUD);
        t.ispeed = speed;
        t.ospeed = speed;
        t
    }
}

/// The rate a `B*` constant stands for.
fn baud_rate(bits: u32) -> u32 {
    const LOW: [u32; 16] = [
        0, 50, 75, 110, 134, 150, 200, 300, 600, 1200, 1800, 2400, 4800, 9600, 19200, 38400,
    ];
    const HIGH: [u32; 15] = [
        57600, 115200, 230400, 460800, 500000, 576000, 921600, 1000000, 1152000, 1500000, 2000000,
        2500000, 3000000, 3500000, 4000000,
    ];
    match bits {
        b if b < 16 => LOW[b as usize],
        b if b & l::CBAUDEX != 0 && (1..16).contains(&(b & 0xf)) => HIGH[(b & 0xf) as usize - 1],
        _ => 0,
    }
}

/// `struct winsize`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Winsize {
    pub rows: u16,
    pub cols: u16,
    pub xpixel: u16,
    pub ypixel: u16,
}

impl Winsize {
    pub fn to_bytes(self) -> [u8; WINSIZE_SIZE] {
        let mut b = [0u8; WINSIZE_SIZE];
        for (i, v) in [self.rows, self.cols, self.xpixel, self.ypixel]
            .iter()
            .enumerate()
        {
            b[i * 2..i * 2 + 2].copy_from_slice(&v.to_le_bytes());
        }
        b
    }

    pub fn from_bytes(b: &[u8]) -> Winsize {
        let half = |i: usize| u16::from_le_bytes([b[i * 2], b[i * 2 + 1]]);
        Winsize {
            rows: half(0),
            cols: half(1),
            xpixel: half(2),
            ypixel: half(3),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn termios_round_trips_and_speeds_follow_cbaud() {
        let t = Termios::pty_slave();
        assert_eq!(Termios::from_bytes(&t.to_termios()), t);
        assert_eq!(Termios::from_bytes(&t.to_termios2()), t);
        let mut raw = t.to_termios();
        raw[8..12].copy_from_slice(&(l::B9600 | l::CS8).to_le_bytes());
        let u = Termios::from_bytes(&raw);
        assert_eq!((u.ispeed, u.ospeed), (9600, 9600));
        let old = t.to_termio();
        assert_eq!(t.with_termio(&old), t);
    }
}
