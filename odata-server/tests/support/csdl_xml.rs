//! A CSDL XML document read into a tree of elements, so that tests can assert what
//! `$metadata` states (annotations, their records and collections) instead of searching its
//! text. For the test binaries that include this file (`#[path = "support/csdl_xml.rs"] mod
//! csdl_xml;`) and the acceptance-test crate.

use quick_xml::Reader;
use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};

/// One element: its name (with prefix, e.g. `edmx:Reference`), its attributes in document
/// order, its child elements and its text.
#[derive(Debug, Clone, Default)]
pub struct Element {
    pub name: String,
    pub attributes: Vec<(String, String)>,
    pub children: Vec<Element>,
    pub text: String,
}

impl Element {
    /// The root element of `xml`; panics on malformed XML, which fails the test.
    pub fn parse(xml: &str) -> Element {
        let mut reader = Reader::from_str(xml);
        // Open elements, innermost last; a sentinel collects the root.
        let mut stack = vec![Element::default()];
        loop {
            match reader.read_event().expect("well-formed XML") {
                Event::Start(e) => stack.push(element(&e)),
                Event::Empty(e) => {
                    let leaf = element(&e);
                    stack.last_mut().expect("open element").children.push(leaf);
                }
                Event::End(_) => {
                    let done = stack.pop().expect("open element");
                    stack.last_mut().expect("parent").children.push(done);
                }
                Event::Text(t) => {
                    let text = t.xml_content(XmlVersion::Implicit1_0);
                    stack
                        .last_mut()
                        .expect("open element")
                        .text
                        .push_str(text.trim());
                }
                Event::Eof => break,
                _ => {}
            }
        }
        stack
            .pop()
            .and_then(|sentinel| sentinel.children.into_iter().next())
            .expect("a root element")
    }

    /// The value of attribute `name`.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The child elements named `name`.
    pub fn children<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The first element named `name` whose attribute `attr` is `value`, searched depth
    /// first below (and including) this one.
    pub fn find(&self, name: &str, attr: &str, value: &str) -> Option<&Element> {
        if self.name == name && self.attr(attr) == Some(value) {
            return Some(self);
        }
        self.children.iter().find_map(|c| c.find(name, attr, value))
    }

    /// The child `<Annotation Term="{term}">`.
    pub fn annotation(&self, term: &str) -> Option<&Element> {
        self.children("Annotation")
            .find(|a| a.attr("Term") == Some(term))
    }

    /// The child `<PropertyValue Property="{property}">` of this `<Record>` (or of the
    /// record this annotation or property value holds).
    pub fn property_value(&self, property: &str) -> Option<&Element> {
        let record = if self.name == "Record" {
            self
        } else {
            self.children("Record").next()?
        };
        record
            .children("PropertyValue")
            .find(|p| p.attr("Property") == Some(property))
    }

    /// The texts of the items of the `<Collection>` this element holds.
    pub fn collection_texts(&self) -> Vec<&str> {
        self.children("Collection")
            .flat_map(|c| c.children.iter())
            .map(|item| item.text.as_str())
            .collect()
    }
}

fn element(e: &BytesStart<'_>) -> Element {
    let attributes = e
        .attributes()
        .map(|a| {
            let a = a.expect("well-formed attribute");
            let value = a
                .normalized_value(XmlVersion::Implicit1_0)
                .expect("attribute value");
            (a.key.as_ref().to_owned(), value.into_owned())
        })
        .collect();
    Element {
        name: e.name().as_ref().to_owned(),
        attributes,
        ..Element::default()
    }
}
