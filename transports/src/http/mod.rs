//! SOAP over HTTP: the inbound server ([`serve`], or [`serve_with`] to add routes of one's
//! own) and the outbound client ([`HttpClient`]).
//!
//! Both sides follow the SOAP HTTP bindings: SOAP 1.1 faults travel with HTTP 500, SOAP 1.2
//! faults with 400 when the sender is at fault and 500 otherwise; a one-way message is
//! acknowledged with 202 and no body.

mod client;
mod config;
mod limits;
mod server;

pub use client::{HttpClient, PlainReply, PlainRequest};
pub use config::{HttpClientConfig, HttpServerConfig};
pub use server::{serve, serve_with};

use crate::soap::{FaultCode, SoapVersion};

/// The HTTP status that carries a fault with `code` in `version`.
pub fn fault_status(version: SoapVersion, code: FaultCode) -> u16 {
    match (version, code) {
        (SoapVersion::Soap12, FaultCode::Sender) => 400,
        _ => 500,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_soap12_sender_faults_are_client_errors() {
        assert_eq!(fault_status(SoapVersion::Soap11, FaultCode::Sender), 500);
        assert_eq!(fault_status(SoapVersion::Soap12, FaultCode::Sender), 400);
        assert_eq!(fault_status(SoapVersion::Soap12, FaultCode::Receiver), 500);
        assert_eq!(
            fault_status(SoapVersion::Soap12, FaultCode::MustUnderstand),
            500
        );
    }
}
