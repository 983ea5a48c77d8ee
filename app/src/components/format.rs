//! Dates and numbers as people read them, the same on the server and in the browser.

/// "3 Nov 2026" from unix seconds, the same on server and browser.
pub fn format_date(unix: i64) -> String {
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    // Civil-from-days (Howard Hinnant's algorithm), so no date library is shipped to the browser.
    let days = unix.div_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{day} {} {year}", MONTHS[(month - 1) as usize])
}

/// "3 Nov 2026, 14:05 UTC" from unix seconds.
pub fn format_time(unix: i64) -> String {
    let secs = unix.rem_euclid(86_400);
    format!("{}, {:02}:{:02} UTC", format_date(unix), secs / 3600, secs % 3600 / 60)
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_read_like_dates() {
        assert_eq!(super::format_date(0), "1 Jan 1970");
        assert_eq!(super::format_date(1_795_000_000), "18 Nov 2026");
        assert_eq!(super::format_date(951_782_400), "29 Feb 2000");
        assert_eq!(super::format_time(1_795_000_000 + 3_725), "18 Nov 2026, 12:08 UTC");
    }
}
