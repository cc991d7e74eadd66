//! Which ecosystem a package URL's type names, and what each service calls
//! that ecosystem.

/// A package ecosystem, as the package URL type names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ecosystem {
    Npm,
    PyPi,
    Cargo,
    Maven,
    Go,
    RubyGems,
    NuGet,
    Packagist,
    Other,
}

impl Ecosystem {
    pub fn from_purl_type(ty: &str) -> Ecosystem {
        match ty {
            "npm" => Ecosystem::Npm,
            "pypi" => Ecosystem::PyPi,
            "cargo" => Ecosystem::Cargo,
            "maven" => Ecosystem::Maven,
            "golang" => Ecosystem::Go,
            "gem" => Ecosystem::RubyGems,
            "nuget" => Ecosystem::NuGet,
            "composer" => Ecosystem::Packagist,
            _ => Ecosystem::Other,
        }
    }

    /// The ecosystem name OSV uses.
    pub fn osv_name(self) -> Option<&'static str> {
        Some(match self {
            Ecosystem::Npm => "npm",
            Ecosystem::PyPi => "PyPI",
            Ecosystem::Cargo => "crates.io",
            Ecosystem::Maven => "Maven",
            Ecosystem::Go => "Go",
            Ecosystem::RubyGems => "RubyGems",
            Ecosystem::NuGet => "NuGet",
            Ecosystem::Packagist => "Packagist",
            Ecosystem::Other => return None,
        })
    }

    /// The system name deps.dev uses.
    pub fn depsdev_name(self) -> Option<&'static str> {
        Some(match self {
            Ecosystem::Npm => "NPM",
            Ecosystem::PyPi => "PYPI",
            Ecosystem::Cargo => "CARGO",
            Ecosystem::Maven => "MAVEN",
            Ecosystem::Go => "GO",
            Ecosystem::NuGet => "NUGET",
            _ => return None,
        })
    }
}
