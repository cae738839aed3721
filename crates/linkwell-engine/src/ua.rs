//! What kind of client a User-Agent claims to be.
//!
//! The claim is not proof (anyone can send a Chrome string); detectors use
//! it to compare against what else the call shows: an HTTP library where
//! only browsers go, a "browser" without the headers every browser sends,
//! timing no human produces. One automaton over the string finds every
//! token at once; the feature tracker caches the answer per distinct string.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

/// Browser engines, as far as their header habits differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BrowserFamily {
    /// Chrome, Edge, Opera, Brave, Samsung Internet: send `sec-ch-ua` (from 89).
    Chromium,
    Firefox,
    Safari,
    Other,
}

/// The kind of client a User-Agent claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum UaClass {
    /// No User-Agent, or `-`.
    #[default]
    Empty,
    /// A desktop or mobile browser; `major` is 0 when unknown.
    Browser { family: BrowserFamily, major: u16 },
    /// A browser driven by a program (HeadlessChrome, Puppeteer, Selenium).
    Headless,
    /// An HTTP library or command-line tool (curl, python-requests, Go, Java).
    Library,
    /// A native mobile app's HTTP stack (okhttp, CFNetwork, Dalvik).
    MobileApp,
    /// A crawler that says so (Googlebot, bingbot).
    Crawler,
    /// Health checks and uptime monitors (kube-probe, ELB, Pingdom).
    Monitor,
    /// Anything else: usually a partner's or an app's own name.
    Other,
}

impl UaClass {
    pub fn name(self) -> &'static str {
        match self {
            UaClass::Empty => "empty",
            UaClass::Browser { .. } => "browser",
            UaClass::Headless => "headless-browser",
            UaClass::Library => "http-library",
            UaClass::MobileApp => "mobile-app",
            UaClass::Crawler => "crawler",
            UaClass::Monitor => "monitor",
            UaClass::Other => "other",
        }
    }

    pub fn is_browser(self) -> bool {
        matches!(self, UaClass::Browser { .. })
    }

    /// Clients that are programs and do not hide it from a flow meant for
    /// people: libraries, headless browsers, app stacks, no UA at all.
    /// Declared crawlers and monitors are left out: they announce themselves.
    pub fn is_scripted(self) -> bool {
        matches!(
            self,
            UaClass::Empty
                | UaClass::Headless
                | UaClass::Library
                | UaClass::MobileApp
                | UaClass::Other
        )
    }
}

#[derive(Clone, Copy)]
enum Token {
    Mozilla,
    Chrome,
    Edge,
    Firefox,
    SafariVersion,
    Safari,
    Headless,
    Library,
    Mobile,
    Crawler,
    Monitor,
}

const TOKENS: &[(&str, Token)] = &[
    ("mozilla/", Token::Mozilla),
    ("chrome/", Token::Chrome),
    ("crios/", Token::Chrome),
    ("edg/", Token::Edge),
    ("opr/", Token::Edge),
    ("firefox/", Token::Firefox),
    ("fxios/", Token::Firefox),
    ("version/", Token::SafariVersion),
    ("safari/", Token::Safari),
    ("headlesschrome", Token::Headless),
    ("phantomjs", Token::Headless),
    ("puppeteer", Token::Headless),
    ("playwright", Token::Headless),
    ("selenium", Token::Headless),
    ("webdriver", Token::Headless),
    ("curl/", Token::Library),
    ("wget/", Token::Library),
    ("python-requests", Token::Library),
    ("python-urllib", Token::Library),
    ("python-httpx", Token::Library),
    ("python/", Token::Library),
    ("aiohttp", Token::Library),
    ("go-http-client", Token::Library),
    ("java/", Token::Library),
    ("apache-httpclient", Token::Library),
    ("jakarta commons", Token::Library),
    ("axios/", Token::Library),
    ("node-fetch", Token::Library),
    ("undici", Token::Library),
    ("got (", Token::Library),
    ("libwww-perl", Token::Library),
    ("lwp::", Token::Library),
    ("ruby", Token::Library),
    ("faraday", Token::Library),
    ("guzzlehttp", Token::Library),
    ("restsharp", Token::Library),
    ("postmanruntime", Token::Library),
    ("insomnia", Token::Library),
    ("httpie", Token::Library),
    ("scrapy", Token::Library),
    ("powershell", Token::Library),
    ("winhttp", Token::Library),
    ("reqwest", Token::Library),
    ("hyper/", Token::Library),
    ("okhttp", Token::Mobile),
    ("cfnetwork", Token::Mobile),
    ("dalvik", Token::Mobile),
    ("alamofire", Token::Mobile),
    ("dart:io", Token::Mobile),
    ("(iphone;", Token::Mobile),
    ("(ipad;", Token::Mobile),
    ("(android", Token::Mobile),
    ("bot/", Token::Crawler),
    ("bot;", Token::Crawler),
    ("spider", Token::Crawler),
    ("crawler", Token::Crawler),
    ("kube-probe", Token::Monitor),
    ("prometheus", Token::Monitor),
    ("elb-healthchecker", Token::Monitor),
    ("googlehc", Token::Monitor),
    ("uptimerobot", Token::Monitor),
    ("pingdom", Token::Monitor),
    ("datadog", Token::Monitor),
    ("statuscake", Token::Monitor),
    ("blackbox-exporter", Token::Monitor),
    ("consul health", Token::Monitor),
    ("nagios", Token::Monitor),
    ("zabbix", Token::Monitor),
    ("site24x7", Token::Monitor),
];

static AUTOMATON: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| {
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::Standard)
        .build(TOKENS.iter().map(|(t, _)| t))
        .ok()
});

/// The version right after a token (`Chrome/124.0` → 124).
fn major_after(ua: &str, end: usize) -> u16 {
    ua.as_bytes()
        .get(end..)
        .unwrap_or_default()
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .take(5)
        .fold(0u32, |a, b| a * 10 + u32::from(b - b'0'))
        .min(u32::from(u16::MAX)) as u16
}

/// Classifies a User-Agent. Programs win over browser tokens: a string with
/// both "Mozilla/" and "HeadlessChrome" is a program wearing a browser's name.
pub fn classify(ua: Option<&str>) -> UaClass {
    let ua = match ua.map(str::trim) {
        None | Some("" | "-") => return UaClass::Empty,
        Some(u) => u,
    };
    let Some(ac) = AUTOMATON.as_ref() else {
        return UaClass::Other;
    };
    let (mut mozilla, mut headless, mut library, mut mobile, mut crawler, mut monitor) =
        (false, false, false, false, false, false);
    let mut chrome = None;
    let mut edge = false;
    let mut firefox = None;
    let mut safari_version = None;
    let mut safari = false;
    for m in ac.find_iter(ua) {
        match TOKENS[m.pattern().as_usize()].1 {
            Token::Mozilla => mozilla = true,
            Token::Chrome => chrome = Some(major_after(ua, m.end())),
            Token::Edge => edge = true,
            Token::Firefox => firefox = Some(major_after(ua, m.end())),
            Token::SafariVersion => safari_version = Some(major_after(ua, m.end())),
            Token::Safari => safari = true,
            Token::Headless => headless = true,
            Token::Library => library = true,
            Token::Mobile => mobile = true,
            Token::Crawler => crawler = true,
            Token::Monitor => monitor = true,
        }
    }
    if headless {
        return UaClass::Headless;
    }
    if monitor {
        return UaClass::Monitor;
    }
    if crawler {
        return UaClass::Crawler;
    }
    if library {
        return UaClass::Library;
    }
    if mozilla {
        let browser = if let Some(major) = chrome {
            Some((BrowserFamily::Chromium, major))
        } else if let Some(major) = firefox {
            Some((BrowserFamily::Firefox, major))
        } else if safari {
            Some((BrowserFamily::Safari, safari_version.unwrap_or(0)))
        } else if edge {
            Some((BrowserFamily::Chromium, 0))
        } else {
            None
        };
        if let Some((family, major)) = browser {
            return UaClass::Browser { family, major };
        }
        // "Mozilla/5.0 (iPhone; ...) AppName/1.2": an in-app web stack.
        if mobile {
            return UaClass::MobileApp;
        }
        return UaClass::Other;
    }
    if mobile {
        return UaClass::MobileApp;
    }
    UaClass::Other
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";

    #[test]
    fn classes() {
        assert_eq!(
            classify(Some(CHROME)),
            UaClass::Browser {
                family: BrowserFamily::Chromium,
                major: 124
            }
        );
        assert_eq!(
            classify(Some(
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15"
            )),
            UaClass::Browser {
                family: BrowserFamily::Safari,
                major: 17
            }
        );
        assert_eq!(
            classify(Some(
                "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"
            )),
            UaClass::Browser {
                family: BrowserFamily::Firefox,
                major: 125
            }
        );
        for (ua, class) in [
            ("curl/8.5.0", UaClass::Library),
            ("python-requests/2.31.0", UaClass::Library),
            ("Go-http-client/2.0", UaClass::Library),
            ("Java/17.0.2", UaClass::Library),
            ("okhttp/4.12.0", UaClass::MobileApp),
            (
                "ExampleBank/7.12.0 (iPhone; iOS 17.4; Scale/3.00)",
                UaClass::MobileApp,
            ),
            (
                "BankApp/3 CFNetwork/1494.0.7 Darwin/23.4.0",
                UaClass::MobileApp,
            ),
            ("kube-probe/1.29", UaClass::Monitor),
            ("ELB-HealthChecker/2.0", UaClass::Monitor),
            (
                "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
                UaClass::Crawler,
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.0.0 Safari/537.36",
                UaClass::Headless,
            ),
            ("AcmePartnerSync/1.4", UaClass::Other),
            ("-", UaClass::Empty),
        ] {
            assert_eq!(classify(Some(ua)), class, "{ua}");
        }
        assert_eq!(classify(None), UaClass::Empty);
        assert!(classify(Some("curl/8")).is_scripted());
        assert!(!classify(Some("kube-probe/1.29")).is_scripted());
    }
}
