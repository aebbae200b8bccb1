//! Languages (ISO 639-1) and countries (ISO 3166-1 alpha-2) that profiles and listings may name.
//!
//! Both tables are sorted by code so that lookups can binary search. Codes are
//! matched exactly in their canonical case: lower case for languages (`"en"`),
//! upper case for countries (`"GB"`). Callers that accept user input should
//! normalise the case before looking a code up.

/// A language, named by its ISO 639-1 code.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Language {
    /// ISO 639-1 code, lower case.
    pub code: &'static str,
    /// English name.
    pub name: &'static str,
    /// The language's name for itself.
    pub native: &'static str,
}

const fn lang(code: &'static str, name: &'static str, native: &'static str) -> Language {
    Language { code, name, native }
}

/// Widely spoken languages, sorted by code.
pub static LANGUAGES: &[Language] = &[
    lang("af", "Afrikaans", "Afrikaans"),
    lang("am", "Amharic", "አማርኛ"),
    lang("ar", "Arabic", "العربية"),
    lang("az", "Azerbaijani", "Azərbaycan dili"),
    lang("be", "Belarusian", "Беларуская"),
    lang("bg", "Bulgarian", "Български"),
    lang("bn", "Bengali", "বাংলা"),
    lang("bs", "Bosnian", "Bosanski"),
    lang("ca", "Catalan", "Català"),
    lang("cs", "Czech", "Čeština"),
    lang("cy", "Welsh", "Cymraeg"),
    lang("da", "Danish", "Dansk"),
    lang("de", "German", "Deutsch"),
    lang("el", "Greek", "Ελληνικά"),
    lang("en", "English", "English"),
    lang("es", "Spanish", "Español"),
    lang("et", "Estonian", "Eesti"),
    lang("eu", "Basque", "Euskara"),
    lang("fa", "Persian", "فارسی"),
    lang("fi", "Finnish", "Suomi"),
    lang("fr", "French", "Français"),
    lang("ga", "Irish", "Gaeilge"),
    lang("gl", "Galician", "Galego"),
    lang("gu", "Gujarati", "ગુજરાતી"),
    lang("ha", "Hausa", "Hausa"),
    lang("he", "Hebrew", "עברית"),
    lang("hi", "Hindi", "हिन्दी"),
    lang("hr", "Croatian", "Hrvatski"),
    lang("ht", "Haitian Creole", "Kreyòl ayisyen"),
    lang("hu", "Hungarian", "Magyar"),
    lang("hy", "Armenian", "Հայերեն"),
    lang("id", "Indonesian", "Bahasa Indonesia"),
    lang("ig", "Igbo", "Asụsụ Igbo"),
    lang("is", "Icelandic", "Íslenska"),
    lang("it", "Italian", "Italiano"),
    lang("ja", "Japanese", "日本語"),
    lang("jv", "Javanese", "Basa Jawa"),
    lang("ka", "Georgian", "ქართული"),
    lang("kk", "Kazakh", "Қазақ тілі"),
    lang("km", "Khmer", "ភាសាខ្មែរ"),
    lang("kn", "Kannada", "ಕನ್ನಡ"),
    lang("ko", "Korean", "한국어"),
    lang("ku", "Kurdish", "Kurdî"),
    lang("la", "Latin", "Latina"),
    lang("lo", "Lao", "ພາສາລາວ"),
    lang("lt", "Lithuanian", "Lietuvių"),
    lang("lv", "Latvian", "Latviešu"),
    lang("mk", "Macedonian", "Македонски"),
    lang("ml", "Malayalam", "മലയാളം"),
    lang("mn", "Mongolian", "Монгол"),
    lang("mr", "Marathi", "मराठी"),
    lang("ms", "Malay", "Bahasa Melayu"),
    lang("mt", "Maltese", "Malti"),
    lang("my", "Burmese", "မြန်မာဘာသာ"),
    lang("ne", "Nepali", "नेपाली"),
    lang("nl", "Dutch", "Nederlands"),
    lang("no", "Norwegian", "Norsk"),
    lang("pa", "Punjabi", "ਪੰਜਾਬੀ"),
    lang("pl", "Polish", "Polski"),
    lang("ps", "Pashto", "پښتو"),
    lang("pt", "Portuguese", "Português"),
    lang("ro", "Romanian", "Română"),
    lang("ru", "Russian", "Русский"),
    lang("si", "Sinhala", "සිංහල"),
    lang("sk", "Slovak", "Slovenčina"),
    lang("sl", "Slovenian", "Slovenščina"),
    lang("so", "Somali", "Soomaali"),
    lang("sq", "Albanian", "Shqip"),
    lang("sr", "Serbian", "Српски"),
    lang("sv", "Swedish", "Svenska"),
    lang("sw", "Swahili", "Kiswahili"),
    lang("ta", "Tamil", "தமிழ்"),
    lang("te", "Telugu", "తెలుగు"),
    lang("th", "Thai", "ไทย"),
    lang("tl", "Tagalog", "Tagalog"),
    lang("tr", "Turkish", "Türkçe"),
    lang("uk", "Ukrainian", "Українська"),
    lang("ur", "Urdu", "اردو"),
    lang("uz", "Uzbek", "Oʻzbekcha"),
    lang("vi", "Vietnamese", "Tiếng Việt"),
    lang("xh", "Xhosa", "isiXhosa"),
    lang("yo", "Yoruba", "Yorùbá"),
    lang("zh", "Chinese", "中文"),
    lang("zu", "Zulu", "isiZulu"),
];

/// Looks a language up by its lower-case ISO 639-1 code.
pub fn language(code: &str) -> Option<&'static Language> {
    LANGUAGES
        .binary_search_by(|l| l.code.cmp(code))
        .ok()
        .and_then(|i| LANGUAGES.get(i))
}

/// A country or territory, named by its ISO 3166-1 alpha-2 code.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Country {
    /// ISO 3166-1 alpha-2 code, upper case.
    pub code: &'static str,
    /// Short English name.
    pub name: &'static str,
}

const fn land(code: &'static str, name: &'static str) -> Country {
    Country { code, name }
}

/// Every officially assigned ISO 3166-1 alpha-2 code, sorted by code.
pub static COUNTRIES: &[Country] = &[
    land("AD", "Andorra"),
    land("AE", "United Arab Emirates"),
    land("AF", "Afghanistan"),
    land("AG", "Antigua and Barbuda"),
    land("AI", "Anguilla"),
    land("AL", "Albania"),
    land("AM", "Armenia"),
    land("AO", "Angola"),
    land("AQ", "Antarctica"),
    land("AR", "Argentina"),
    land("AS", "American Samoa"),
    land("AT", "Austria"),
    land("AU", "Australia"),
    land("AW", "Aruba"),
    land("AX", "Åland Islands"),
    land("AZ", "Azerbaijan"),
    land("BA", "Bosnia and Herzegovina"),
    land("BB", "Barbados"),
    land("BD", "Bangladesh"),
    land("BE", "Belgium"),
    land("BF", "Burkina Faso"),
    land("BG", "Bulgaria"),
    land("BH", "Bahrain"),
    land("BI", "Burundi"),
    land("BJ", "Benin"),
    land("BL", "Saint Barthélemy"),
    land("BM", "Bermuda"),
    land("BN", "Brunei"),
    land("BO", "Bolivia"),
    land("BQ", "Caribbean Netherlands"),
    land("BR", "Brazil"),
    land("BS", "Bahamas"),
    land("BT", "Bhutan"),
    land("BV", "Bouvet Island"),
    land("BW", "Botswana"),
    land("BY", "Belarus"),
    land("BZ", "Belize"),
    land("CA", "Canada"),
    land("CC", "Cocos (Keeling) Islands"),
    land("CD", "Democratic Republic of the Congo"),
    land("CF", "Central African Republic"),
    land("CG", "Republic of the Congo"),
    land("CH", "Switzerland"),
    land("CI", "Côte d'Ivoire"),
    land("CK", "Cook Islands"),
    land("CL", "Chile"),
    land("CM", "Cameroon"),
    land("CN", "China"),
    land("CO", "Colombia"),
    land("CR", "Costa Rica"),
    land("CU", "Cuba"),
    land("CV", "Cape Verde"),
    land("CW", "Curaçao"),
    land("CX", "Christmas Island"),
    land("CY", "Cyprus"),
    land("CZ", "Czechia"),
    land("DE", "Germany"),
    land("DJ", "Djibouti"),
    land("DK", "Denmark"),
    land("DM", "Dominica"),
    land("DO", "Dominican Republic"),
    land("DZ", "Algeria"),
    land("EC", "Ecuador"),
    land("EE", "Estonia"),
    land("EG", "Egypt"),
    land("EH", "Western Sahara"),
    land("ER", "Eritrea"),
    land("ES", "Spain"),
    land("ET", "Ethiopia"),
    land("FI", "Finland"),
    land("FJ", "Fiji"),
    land("FK", "Falkland Islands"),
    land("FM", "Micronesia"),
    land("FO", "Faroe Islands"),
    land("FR", "France"),
    land("GA", "Gabon"),
    land("GB", "United Kingdom"),
    land("GD", "Grenada"),
    land("GE", "Georgia"),
    land("GF", "French Guiana"),
    land("GG", "Guernsey"),
    land("GH", "Ghana"),
    land("GI", "Gibraltar"),
    land("GL", "Greenland"),
    land("GM", "Gambia"),
    land("GN", "Guinea"),
    land("GP", "Guadeloupe"),
    land("GQ", "Equatorial Guinea"),
    land("GR", "Greece"),
    land("GS", "South Georgia and the South Sandwich Islands"),
    land("GT", "Guatemala"),
    land("GU", "Guam"),
    land("GW", "Guinea-Bissau"),
    land("GY", "Guyana"),
    land("HK", "Hong Kong"),
    land("HM", "Heard Island and McDonald Islands"),
    land("HN", "Honduras"),
    land("HR", "Croatia"),
    land("HT", "Haiti"),
    land("HU", "Hungary"),
    land("ID", "Indonesia"),
    land("IE", "Ireland"),
    land("IL", "Israel"),
    land("IM", "Isle of Man"),
    land("IN", "India"),
    land("IO", "British Indian Ocean Territory"),
    land("IQ", "Iraq"),
    land("IR", "Iran"),
    land("IS", "Iceland"),
    land("IT", "Italy"),
    land("JE", "Jersey"),
    land("JM", "Jamaica"),
    land("JO", "Jordan"),
    land("JP", "Japan"),
    land("KE", "Kenya"),
    land("KG", "Kyrgyzstan"),
    land("KH", "Cambodia"),
    land("KI", "Kiribati"),
    land("KM", "Comoros"),
    land("KN", "Saint Kitts and Nevis"),
    land("KP", "North Korea"),
    land("KR", "South Korea"),
    land("KW", "Kuwait"),
    land("KY", "Cayman Islands"),
    land("KZ", "Kazakhstan"),
    land("LA", "Laos"),
    land("LB", "Lebanon"),
    land("LC", "Saint Lucia"),
    land("LI", "Liechtenstein"),
    land("LK", "Sri Lanka"),
    land("LR", "Liberia"),
    land("LS", "Lesotho"),
    land("LT", "Lithuania"),
    land("LU", "Luxembourg"),
    land("LV", "Latvia"),
    land("LY", "Libya"),
    land("MA", "Morocco"),
    land("MC", "Monaco"),
    land("MD", "Moldova"),
    land("ME", "Montenegro"),
    land("MF", "Saint Martin"),
    land("MG", "Madagascar"),
    land("MH", "Marshall Islands"),
    land("MK", "North Macedonia"),
    land("ML", "Mali"),
    land("MM", "Myanmar"),
    land("MN", "Mongolia"),
    land("MO", "Macao"),
    land("MP", "Northern Mariana Islands"),
    land("MQ", "Martinique"),
    land("MR", "Mauritania"),
    land("MS", "Montserrat"),
    land("MT", "Malta"),
    land("MU", "Mauritius"),
    land("MV", "Maldives"),
    land("MW", "Malawi"),
    land("MX", "Mexico"),
    land("MY", "Malaysia"),
    land("MZ", "Mozambique"),
    land("NA", "Namibia"),
    land("NC", "New Caledonia"),
    land("NE", "Niger"),
    land("NF", "Norfolk Island"),
    land("NG", "Nigeria"),
    land("NI", "Nicaragua"),
    land("NL", "Netherlands"),
    land("NO", "Norway"),
    land("NP", "Nepal"),
    land("NR", "Nauru"),
    land("NU", "Niue"),
    land("NZ", "New Zealand"),
    land("OM", "Oman"),
    land("PA", "Panama"),
    land("PE", "Peru"),
    land("PF", "French Polynesia"),
    land("PG", "Papua New Guinea"),
    land("PH", "Philippines"),
    land("PK", "Pakistan"),
    land("PL", "Poland"),
    land("PM", "Saint Pierre and Miquelon"),
    land("PN", "Pitcairn Islands"),
    land("PR", "Puerto Rico"),
    land("PS", "Palestine"),
    land("PT", "Portugal"),
    land("PW", "Palau"),
    land("PY", "Paraguay"),
    land("QA", "Qatar"),
    land("RE", "Réunion"),
    land("RO", "Romania"),
    land("RS", "Serbia"),
    land("RU", "Russia"),
    land("RW", "Rwanda"),
    land("SA", "Saudi Arabia"),
    land("SB", "Solomon Islands"),
    land("SC", "Seychelles"),
    land("SD", "Sudan"),
    land("SE", "Sweden"),
    land("SG", "Singapore"),
    land("SH", "Saint Helena, Ascension and Tristan da Cunha"),
    land("SI", "Slovenia"),
    land("SJ", "Svalbard and Jan Mayen"),
    land("SK", "Slovakia"),
    land("SL", "Sierra Leone"),
    land("SM", "San Marino"),
    land("SN", "Senegal"),
    land("SO", "Somalia"),
    land("SR", "Suriname"),
    land("SS", "South Sudan"),
    land("ST", "São Tomé and Príncipe"),
    land("SV", "El Salvador"),
    land("SX", "Sint Maarten"),
    land("SY", "Syria"),
    land("SZ", "Eswatini"),
    land("TC", "Turks and Caicos Islands"),
    land("TD", "Chad"),
    land("TF", "French Southern Territories"),
    land("TG", "Togo"),
    land("TH", "Thailand"),
    land("TJ", "Tajikistan"),
    land("TK", "Tokelau"),
    land("TL", "Timor-Leste"),
    land("TM", "Turkmenistan"),
    land("TN", "Tunisia"),
    land("TO", "Tonga"),
    land("TR", "Türkiye"),
    land("TT", "Trinidad and Tobago"),
    land("TV", "Tuvalu"),
    land("TW", "Taiwan"),
    land("TZ", "Tanzania"),
    land("UA", "Ukraine"),
    land("UG", "Uganda"),
    land("UM", "United States Minor Outlying Islands"),
    land("US", "United States"),
    land("UY", "Uruguay"),
    land("UZ", "Uzbekistan"),
    land("VA", "Vatican City"),
    land("VC", "Saint Vincent and the Grenadines"),
    land("VE", "Venezuela"),
    land("VG", "British Virgin Islands"),
    land("VI", "U.S. Virgin Islands"),
    land("VN", "Vietnam"),
    land("VU", "Vanuatu"),
    land("WF", "Wallis and Futuna"),
    land("WS", "Samoa"),
    land("YE", "Yemen"),
    land("YT", "Mayotte"),
    land("ZA", "South Africa"),
    land("ZM", "Zambia"),
    land("ZW", "Zimbabwe"),
];

/// Looks a country up by its upper-case ISO 3166-1 alpha-2 code.
pub fn country(code: &str) -> Option<&'static Country> {
    COUNTRIES
        .binary_search_by(|c| c.code.cmp(code))
        .ok()
        .and_then(|i| COUNTRIES.get(i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_are_sorted_unique_and_lower_case() {
        assert!(LANGUAGES.len() >= 60);
        assert!(LANGUAGES.windows(2).all(|w| w[0].code < w[1].code));
        for l in LANGUAGES {
            assert_eq!(l.code.len(), 2, "{l:?}");
            assert!(l.code.bytes().all(|b| b.is_ascii_lowercase()), "{l:?}");
            assert!(!l.name.is_empty() && !l.native.is_empty(), "{l:?}");
        }
    }

    #[test]
    fn countries_are_all_249_sorted_unique_and_upper_case() {
        assert_eq!(COUNTRIES.len(), 249);
        assert!(COUNTRIES.windows(2).all(|w| w[0].code < w[1].code));
        for c in COUNTRIES {
            assert_eq!(c.code.len(), 2, "{c:?}");
            assert!(c.code.bytes().all(|b| b.is_ascii_uppercase()), "{c:?}");
            assert!(!c.name.is_empty(), "{c:?}");
        }
    }

    #[test]
    fn every_entry_can_be_looked_up() {
        for l in LANGUAGES {
            assert_eq!(language(l.code), Some(l));
        }
        for c in COUNTRIES {
            assert_eq!(country(c.code), Some(c));
        }
    }

    #[test]
    fn lookups_match_canonical_case_only() {
        assert_eq!(language("en").map(|l| l.name), Some("English"));
        assert_eq!(language("ja").map(|l| l.native), Some("日本語"));
        assert_eq!(language("af").map(|l| l.name), Some("Afrikaans"));
        assert_eq!(language("zu").map(|l| l.name), Some("Zulu"));
        assert_eq!(language("EN"), None);
        assert_eq!(language("xx"), None);
        assert_eq!(language(""), None);
        assert_eq!(language("eng"), None);

        assert_eq!(country("GB").map(|c| c.name), Some("United Kingdom"));
        assert_eq!(country("AD").map(|c| c.name), Some("Andorra"));
        assert_eq!(country("ZW").map(|c| c.name), Some("Zimbabwe"));
        assert_eq!(country("gb"), None);
        assert_eq!(country("UK"), None);
        assert_eq!(country("XX"), None);
        assert_eq!(country(""), None);
    }
}
