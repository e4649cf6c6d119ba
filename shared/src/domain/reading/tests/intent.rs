use super::{check, reader};
use crate::domain::reading::Intent::{self, *};
use crate::domain::reading::{Intents, SpamSignals};

fn set(intents: &[Intent]) -> Intents {
    intents.iter().copied().collect()
}

#[test]
fn positive_intents() {
    check(
        &[
            ("Bitte senden Sie uns ein Angebot für 50 Lizenzen.", set(&[Quote])),
            ("Can you send a quote for 20 users?", set(&[Quote])),
            ("What is the price for 20 licences?", set(&[Quote])),
            ("Wir benötigen einen Kostenvoranschlag.", set(&[Quote, Project])),
            ("Was kostet das Tool?", set(&[Quote])),
            ("We'd like a proposal.", set(&[Proposal])),
            ("Bitte um ein Konzept.", set(&[Proposal])),
            ("Bitte rufen Sie mich an.", set(&[Callback])),
            ("Please call me back tomorrow.", set(&[Callback])),
            ("Give me a call!", set(&[Callback])),
            ("Wir hätten gerne eine Demo.", set(&[Demo])),
            ("Können Sie uns eine Vorführung geben?", set(&[Demo])),
            ("Eine Präsentation Ihres Produkts wäre toll.", set(&[Demo])),
            ("We would like a free trial.", set(&[Trial])),
            ("Gibt es einen Testzugang?", set(&[Trial])),
            ("Wir möchten das Tool testen.", set(&[Trial])),
            ("Öffentliche Ausschreibung, Abgabefrist 31.03.2027", set(&[Tender])),
            ("We are issuing an RFP.", set(&[Tender])),
            ("Wir benötigen eine neue CRM-Lösung.", set(&[Project])),
            ("We are looking for a solution to replace our CRM.", set(&[Project])),
            ("Wir wollen Salesforce ablösen.", set(&[Project])),
            ("We plan to roll out to 300 users.", set(&[Project])),
            ("We are evaluating vendors.", set(&[Project])),
            ("We are a company of 20 people looking for a CRM.", set(&[Project])),
            ("Wir haben 200 Mitarbeiter und suchen ein neues CRM.", set(&[Project])),
            ("Können wir einen Termin vereinbaren?", set(&[Callback])),
            ("Wir brauchen kein Angebot, sondern eine Demo.", set(&[Demo])),
            ("Wir brauchen derzeit keine neue Software.", set(&[])),
            ("Wir möchten ein Angebot und keine Demo.", set(&[Quote])),
            ("We need not only a quote but also a demo.", set(&[Project, Quote, Demo])),
            ("Kostenlose Testversion?", set(&[Trial])),
        ],
        |m| reader().intents(m),
    );
}

#[test]
fn negative_and_non_buyer_intents() {
    check(
        &[
            ("Ich möchte mich erstmal nur umschauen.", set(&[JustLooking])),
            ("Just curious.", set(&[JustLooking])),
            ("just browsing", set(&[JustLooking])),
            ("Wir haben kein konkretes Projekt.", set(&[NoProject])),
            ("No project this year.", set(&[NoProject])),
            ("Kein Bedarf.", set(&[NoProject])),
            ("Kein Interesse.", set(&[NoProject])),
            ("We are not looking for a new CRM right now.", set(&[NoProject])),
            ("We don't have budget this year but maybe next.", set(&[NoBudget])),
            ("Ich wollte nur mal schauen, was es so gibt.", set(&[JustLooking])),
            ("Leider kein Budget.", set(&[NoBudget])),
            ("Budget not approved yet.", set(&[NoBudget])),
            ("Budget erst 2028.", set(&[NoBudget])),
            ("Hiermit sende ich Ihnen meine Initiativbewerbung.", set(&[Application])),
            ("Anbei mein Lebenslauf.", set(&[Application])),
            ("Haben Sie einen Praktikumsplatz frei?", set(&[Application])),
            ("Are you hiring? I'd love to join your team.", set(&[Application])),
            ("Interested in an internship, CV attached.", set(&[Application])),
            ("Ich habe Ihre Stellenanzeige gesehen.", set(&[Application])),
            ("Ich schreibe einen Artikel für die c't.", set(&[Press])),
            ("Wir bitten um eine Stellungnahme für unsere Leser.", set(&[Press])),
            ("I'm a journalist, this is for an article in Handelsblatt.", set(&[Press])),
            ("Pressematerial bitte.", set(&[Press])),
            ("Ich schreibe für das Magazin t3n einen Beitrag über CRM-Systeme.", set(&[Press])),
            ("Für meine Bachelorarbeit brauche ich Infos.", set(&[StudentWork])),
            ("I'm writing my master thesis.", set(&[StudentWork])),
            ("A university project about CRM.", set(&[StudentWork])),
            ("Wir sind selbst Anbieter von CRM-Software.", set(&[Competitor])),
            ("This is a competitive analysis.", set(&[Competitor])),
            ("Wettbewerbsanalyse", set(&[Competitor])),
            ("SEO services for your website, guaranteed backlinks.", set(&[Spam])),
            ("Bitcoin investment opportunity", set(&[Spam])),
            ("Rank #1 on Google!", set(&[Spam])),
        ],
        |m| reader().intents(m),
    );
}

#[test]
fn negation_links_and_false_friends() {
    check(
        &[
            ("We don't need a quote yet.", set(&[])),
            ("Kein Angebot nötig.", set(&[])),
            ("Ein Angebot brauchen wir noch nicht.", set(&[])),
            ("Bitte nicht anrufen.", set(&[])),
            ("Bitte keinen Rückruf, lieber per E-Mail.", set(&[])),
            ("No need to call, email is fine.", set(&[])),
            ("I'm not a journalist, we are a retailer looking for software.", set(&[Project])),
            ("No demo, just pricing.", set(&[Quote])),
            ("Dies ist keine Bewerbung.", set(&[])),
            ("Siehe https://firma.de/angebot", set(&[])),
            ("Mail an angebot@firma.de", set(&[])),
            ("www.firma.de/demo", set(&[])),
            ("Ist das kostenlos?", set(&[])),
            ("Ich interessiere mich für Ihr Angebot.", set(&[])),
            ("Wir möchten Kosten sparen.", set(&[])),
            ("Please send a no-obligation quote.", set(&[Quote])),
            ("", set(&[])),
        ],
        |m| reader().intents(m),
    );
}

#[test]
fn named_phrases() {
    check(
        &[
            ("Bitte um eine Quotation.", set(&[Quote])),
            ("Please send your RFP answer.", set(&[Proposal, Tender])),
            ("Bitte um Rückruf.", set(&[Callback])),
            ("This is a tender.", set(&[Tender])),
            ("RFQ attached.", set(&[Tender])),
            ("Vergabe nach VOB.", set(&[Tender])),
            ("We need a new CRM.", set(&[Project])),
            ("Wir wollen ein CRM einführen.", set(&[Project])),
            ("We want to implement a CRM.", set(&[Project])),
            ("Wir evaluieren Anbieter.", set(&[Project])),
            ("We plan to migrate from Excel.", set(&[Project])),
            ("Ich will mich nur informieren.", set(&[JustLooking])),
            ("No need at the moment.", set(&[NoProject])),
            ("Sorry, no budget.", set(&[NoBudget])),
            ("Meine Bewerbung als Entwickler.", set(&[Application])),
            ("Ich möchte mich bei Ihnen bewerben.", set(&[Application])),
            ("Suche ein Praktikum.", set(&[Application])),
            ("Ist die Werkstudentenstelle noch frei?", set(&[Application])),
            ("Ihre Stellenausschreibung auf LinkedIn", set(&[Application])),
            ("Do you have open positions?", set(&[Application])),
            ("Please find my resume.", set(&[Application])),
            ("Ein Beitrag für das Handelsblatt.", set(&[Press])),
            ("Hier ist die Redaktion von heise.", set(&[Press])),
            ("Anfrage für ein Interview.", set(&[Press])),
            ("We'd like a statement for our readers.", set(&[Press])),
            ("For our next podcast episode.", set(&[Press])),
            ("Es geht um meine Masterarbeit.", set(&[StudentWork])),
            ("Thema meiner Abschlussarbeit", set(&[StudentWork])),
            ("Für eine Hausarbeit an der Uni", set(&[StudentWork])),
            ("Für meine Seminararbeit", set(&[StudentWork])),
            ("Unser Studienprojekt", set(&[StudentWork])),
            ("It is for my studies.", set(&[StudentWork])),
            ("We are also a vendor of CRM software.", set(&[Competitor])),
            ("Wir sind Marktbegleiter.", set(&[Competitor])),
            ("White-label reseller research", set(&[Competitor])),
            ("Guest post offer", set(&[Spam])),
            ("Best online casino", set(&[Spam])),
            ("Crypto investment, 300% return", set(&[Spam])),
            ("Loan offer at 2%", set(&[Spam])),
            ("Cheap viagra", set(&[Spam])),
            ("Make money from home", set(&[Spam])),
        ],
        |m| reader().intents(m),
    );
}

#[test]
fn spam_signals() {
    let s = |caps_permille, links, exclamation_runs| SpamSignals {
        caps_permille,
        links,
        exclamation_runs,
        mash_permille: None,
    };
    let mash = |caps_permille, mash| SpamSignals {
        caps_permille,
        links: 0,
        exclamation_runs: 0,
        mash_permille: Some(mash),
    };
    check(
        &[
            ("BUY NOW CHEAP VIAGRA ONLINE TODAY", (s(Some(1000), 0, 0), true)),
            ("Hi", (s(None, 0, 0), false)),
            ("Check https://a.example and http://b.example", (s(None, 2, 0), true)),
            ("Great offer!!! visit www.x.example", (s(None, 1, 1), true)),
            ("Wir benötigen ein Angebot!!! Bitte schnell.", (s(Some(88), 0, 1), false)),
            ("Hallo, wir benötigen ein Angebot für 20 Lizenzen.", (mash(Some(78), 0), false)),
            ("Super Angebot!!!!!! Jetzt ZUGREIFEN SOFORT!!!", (s(Some(562), 0, 2), true)),
            ("asdkjfh qwe zzz lkjlkj 12345 hjhjhj", (mash(Some(0), 600), true)),
            ("lorem lorem kjhkjh ,,,, zzzzz 999", (mash(Some(0), 500), true)),
            // Abbreviations are upper case and never a mash.
            ("Wir suchen ein CRM mit SLA und API für B2B", (mash(Some(375), 0), false)),
        ],
        |m| {
            let signals = reader().spam_signals(m);
            (signals, signals.looks_like_spam(reader().spam_thresholds()))
        },
    );
}
