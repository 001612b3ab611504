//! Enumerations chosen by name (in TOML configurations, on the command line, in Python), without tying the
//! library to a command-line parser.

/// A closed set of named choices.
pub trait Named: Sized + Copy + 'static {
    /// Every choice, in the order help texts list them.
    const ALL: &'static [Self];

    /// The name users write.
    fn name(self) -> &'static str;

    /// The choice called `name` (case-insensitive), if any.
    fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|v| v.name().eq_ignore_ascii_case(name.trim()))
    }

    /// The names, for help texts and error messages.
    fn names() -> Vec<&'static str> {
        Self::ALL.iter().map(|v| v.name()).collect()
    }
}

/// A name that is none of the choices; `Display` is one line listing the valid ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{given}` is not one of: {valid}")]
pub struct UnknownName {
    /// What was given.
    pub given: String,
    /// The valid names, comma-separated.
    pub valid: String,
}

/// Implements [`Named`], `FromStr` and `Display` for a fieldless enum: `named_enum!(Ty { A => "a", B => "b" })`.
#[macro_export]
macro_rules! named_enum {
    ($ty:ident { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $crate::Named for $ty {
            const ALL: &'static [Self] = &[$($ty::$variant),+];
            fn name(self) -> &'static str {
                match self {
                    $($ty::$variant => $name),+
                }
            }
        }
        impl ::std::str::FromStr for $ty {
            type Err = $crate::UnknownName;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                <$ty as $crate::Named>::from_name(s).ok_or_else(|| $crate::UnknownName {
                    given: s.to_string(),
                    valid: <$ty as $crate::Named>::names().join(", "),
                })
            }
        }
        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str($crate::Named::name(*self))
            }
        }
    };
}
