//! tmpfs mount options, as mount(2)'s data string or config.json's
//! `options` give them.

use abi::{Errno, PAGE_SIZE};

use super::space::{Space, parse_size};

/// What a tmpfs is made with.
#[derive(Debug, PartialEq, Eq)]
pub struct Options {
    pub max_bytes: u64,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
}

impl Options {
    /// Parses `size=`, `nr_blocks=`, `mode=` (octal), `uid=`, `gid=`; the
    /// options tmpfs takes but that change nothing here (`nr_inodes=`,
    /// `huge=`, `mpol=`, `inode32`/`inode64`, `noswap`) are accepted. Others
    /// are EINVAL, as Linux's tmpfs says.
    pub fn parse<'a>(options: impl IntoIterator<Item = &'a str>) -> Result<Options, Errno> {
        let budget = Space::default_size() * 2;
        let mut o = Options {
            max_bytes: Space::default_size(),
            mode: 0o1777,
            uid: 0,
            gid: 0,
        };
        for opt in options.into_iter().filter(|s| !s.is_empty()) {
            let (key, value) = opt.split_once('=').unwrap_or((opt, ""));
            let number = || value.parse::<u32>().map_err(|_| Errno::EINVAL);
            match key {
                "size" => o.max_bytes = parse_size(value, budget).ok_or(Errno::EINVAL)?,
                "nr_blocks" => {
                    o.max_bytes = parse_size(value, 0)
                        .and_then(|n| n.checked_mul(PAGE_SIZE))
                        .ok_or(Errno::EINVAL)?
                }
                "mode" => {
                    o.mode = u32::from_str_radix(value, 8).map_err(|_| Errno::EINVAL)? & 0o7777
                }
                "uid" => o.uid = number()?,
                "gid" => o.gid = number()?,
                "nr_inodes" | "huge" | "mpol" | "inode32" | "inode64" | "noswap" => {}
                _ => return Err(Errno::EINVAL),
            }
        }
        // size=0 is no limit at all on Linux; here, the memory there is.
        if o.max_bytes == 0 {
            o.max_bytes = budget;
        }
        Ok(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_as_linux_takes_them() {
        let o = Options::parse("size=64m,mode=755,uid=5,gid=6,nr_inodes=10".split(',')).unwrap();
        assert_eq!(
            o,
            Options {
                max_bytes: 64 << 20,
                mode: 0o755,
                uid: 5,
                gid: 6
            }
        );
        assert_eq!(
            Options::parse(["nr_blocks=2"]).unwrap().max_bytes,
            2 * PAGE_SIZE
        );
        assert_eq!(Options::parse(["bogus=1"]), Err(Errno::EINVAL));
        assert_eq!(Options::parse(["size=lots"]), Err(Errno::EINVAL));
        assert_eq!(Options::parse(["mode=9"]), Err(Errno::EINVAL));
        assert!(Options::parse(std::iter::empty()).unwrap().max_bytes > 0);
    }
}
