//! "Did you mean": one rule for every enumerated value a person types (policy
//! values, field names, formats, algorithms). A value is taken only as
//! written; a near miss is refused with the closest valid value, so a typo
//! can never quietly mean something else (such as switching a gate off).

/// Levenshtein distance, counting a swap of two neighbours as one edit
/// (`Flase` is one edit from `False`).
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

/// The valid value `typed` most likely meant: the same ignoring case, else
/// the nearest within a third of its length (case ignored).
pub fn closest<'a>(typed: &str, valid: &[&'a str]) -> Option<&'a str> {
    if let Some(v) = valid.iter().find(|v| v.eq_ignore_ascii_case(typed)) {
        return Some(v);
    }
    let lower = typed.to_ascii_lowercase();
    let limit = (typed.chars().count() / 3).max(1);
    valid
        .iter()
        .map(|v| (distance(&lower, &v.to_ascii_lowercase()), *v))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, v)| v)
}

/// A value typed that is none of the valid ones: what it was for, the
/// valid values and the one most likely meant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{typed:?} is not a valid {what} (valid: {}){}", .valid.join(", "), hint(.likely.as_deref()))]
pub struct Unknown {
    pub what: String,
    pub typed: String,
    pub valid: Vec<String>,
    pub likely: Option<String>,
}

fn hint(likely: Option<&str>) -> String {
    likely
        .map(|v| format!("; did you mean {v:?}?"))
        .unwrap_or_default()
}

/// `Ok` when `typed` is one of `valid` exactly; otherwise what names what
/// was typed, the valid values and the likely one.
pub fn check(what: &str, typed: &str, valid: &[&str]) -> Result<(), Unknown> {
    if valid.contains(&typed) {
        return Ok(());
    }
    Err(Unknown {
        what: what.to_string(),
        typed: typed.to_string(),
        valid: valid.iter().map(|v| v.to_string()).collect(),
        likely: closest(typed, valid).map(str::to_string),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRI: [&str; 3] = ["True", "False", "NOASSERTION"];

    #[test]
    fn case_and_small_typos_are_suggested_never_accepted() {
        assert_eq!(closest("false", &TRI), Some("False"));
        assert_eq!(closest("Flase", &TRI), Some("False"));
        assert_eq!(closest("noassertion", &TRI), Some("NOASSERTION"));
        assert_eq!(closest("maybe", &TRI), None);
        assert!(check("value", "False", &TRI).is_ok());
        let e = check("value", "false", &TRI).unwrap_err();
        assert_eq!(e.likely.as_deref(), Some("False"));
        assert_eq!(
            e.to_string(),
            "\"false\" is not a valid value (valid: True, False, NOASSERTION); did you mean \"False\"?"
        );
        let e = check("value", "xyz", &TRI).unwrap_err();
        assert_eq!(
            e.to_string(),
            "\"xyz\" is not a valid value (valid: True, False, NOASSERTION)"
        );
    }
}
