//! Times as RFC 3339 strings in UTC (`2026-11-30T01:02:03.456789012Z`), as runc
//! prints a container's creation time.

use std::time::{SystemTime, UNIX_EPOCH};

/// Year, month and day of `days` since 1970-01-01 (the proleptic Gregorian
/// calendar, by counting 400-year eras from 0000-03-01).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

pub fn format(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs() as i64;
    let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:09}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        d.subsec_nanos()
    )
}

pub fn now() -> String {
    format(SystemTime::now())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(format(UNIX_EPOCH), "1970-01-01T00:00:00.000000000Z");
        // 2000-02-29 12:34:56 UTC (a leap day in a century leap year).
        let t = UNIX_EPOCH + Duration::new(951_827_696, 5);
        assert_eq!(format(t), "2000-02-29T12:34:56.000000005Z");
        // 2026-11-30 00:00:00 UTC.
        let t = UNIX_EPOCH + Duration::from_secs(1_795_996_800);
        assert_eq!(format(t), "2026-11-30T00:00:00.000000000Z");
    }
}
