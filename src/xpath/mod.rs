//! XPath
