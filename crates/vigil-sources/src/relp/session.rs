//! A RELP session, server side, as pure state: each frame the client sent
//! becomes what to do about it. Storing messages and writing answers is
//! the listener's; here is only what the protocol says.
//!
//! The session must start with `open` (answered with our offers), then
//! carries `syslog` commands (each answered once its message is durable,
//! by the listener), and ends with `close` (answered, then the
//! `serverclose` hint). Transaction numbers must run 1, 2, 3, … as
//! librelp's server checks them: a gap means lost or replayed frames, and
//! the connection ends.

use bytes::Bytes;

use super::frame::{Command, Frame, encode, next_txnr};

/// The software we name in our offers (name and version; the URL is
/// optional).
const SOFTWARE: &str = concat!("vigil,", env!("CARGO_PKG_VERSION"));

/// The RELP version we speak: 0, the one librelp (and so rsyslog) speaks.
const VERSION: u32 = 0;

/// What to do about one frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Store the syslog message, then answer `txnr` (see [`accepted`] and
    /// [`refused`]).
    Message {
        /// Its transaction number.
        txnr: u32,
        /// The message.
        data: Bytes,
    },
    /// Write these bytes, after the answers to every earlier frame.
    Answer(Vec<u8>),
    /// Write these bytes, after the answers to every earlier frame, and
    /// end the connection; with the reason when it was the client's fault.
    End {
        /// The last bytes to write.
        bytes: Vec<u8>,
        /// Why the session ended, when the client broke the protocol.
        fault: Option<String>,
    },
    /// Nothing (a hint from the client).
    Nothing,
}

/// Where a session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Waiting for `open`.
    Opening,
    /// Open: carrying messages.
    Open,
}

/// A session's state.
#[derive(Debug, Clone)]
pub struct Session {
    state: State,
    /// The transaction number the next command must carry.
    expected: u32,
}

impl Default for Session {
    fn default() -> Self {
        Self::new()
    }
}

impl Session {
    /// A session before `open`.
    pub fn new() -> Self {
        Self {
            state: State::Opening,
            expected: 1,
        }
    }

    /// What to do about `frame`.
    pub fn step(&mut self, frame: Frame) -> Step {
        // Hints (txnr 0) are not answered; none from a client is defined.
        if frame.txnr == 0 {
            return Step::Nothing;
        }
        if frame.txnr != self.expected {
            return fault(format!(
                "transaction number {} where {} was next",
                frame.txnr, self.expected
            ));
        }
        self.expected = next_txnr(frame.txnr);
        match (self.state, frame.command) {
            (State::Opening, Command::Open) => match offers(&frame.data) {
                Ok(()) => {
                    self.state = State::Open;
                    let mut out = Vec::new();
                    let ours = format!(
                        "200 OK\nrelp_version={VERSION}\nrelp_software={SOFTWARE}\ncommands=syslog"
                    );
                    encode(&mut out, frame.txnr, "rsp", ours.as_bytes());
                    Step::Answer(out)
                }
                Err(why) => {
                    let mut out = Vec::new();
                    encode(&mut out, frame.txnr, "rsp", format!("500 {why}").as_bytes());
                    hint_close(&mut out);
                    Step::End {
                        bytes: out,
                        fault: Some(why),
                    }
                }
            },
            (State::Opening, command) => {
                let why = format!("`{}` before `open`", name(&command));
                let mut out = Vec::new();
                encode(&mut out, frame.txnr, "rsp", format!("500 {why}").as_bytes());
                hint_close(&mut out);
                Step::End {
                    bytes: out,
                    fault: Some(why),
                }
            }
            (State::Open, Command::Syslog) => Step::Message {
                txnr: frame.txnr,
                data: frame.data,
            },
            (State::Open, Command::Open) => {
                // librelp answers a repeated `open` so and carries on.
                let mut out = Vec::new();
                encode(
                    &mut out,
                    frame.txnr,
                    "rsp",
                    b"200 connection already open - ignored",
                );
                Step::Answer(out)
            }
            (State::Open, Command::Close) => {
                let mut out = Vec::new();
                encode(&mut out, frame.txnr, "rsp", b"");
                hint_close(&mut out);
                Step::End {
                    bytes: out,
                    fault: None,
                }
            }
            (State::Open, Command::Rsp) => fault("a client sent `rsp`".to_owned()),
            (State::Open, Command::Other(name)) => {
                let mut out = Vec::new();
                let text = format!("500 command `{name}` not supported");
                encode(&mut out, frame.txnr, "rsp", text.as_bytes());
                Step::Answer(out)
            }
        }
    }
}

/// The answer to a message that is durable.
pub fn accepted(out: &mut Vec<u8>, txnr: u32) {
    encode(out, txnr, "rsp", b"200 OK");
}

/// The answer to a message that could not be stored: `500` and why (one
/// line, at most 80 characters, as RELP's human text is).
pub fn refused(out: &mut Vec<u8>, txnr: u32, why: &str) {
    let text: String = format!("500 not stored: {why}")
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(80)
        .collect();
    encode(out, txnr, "rsp", text.as_bytes());
}

/// The `serverclose` hint, sent before the server closes.
pub fn hint_close(out: &mut Vec<u8>) {
    encode(out, 0, "serverclose", b"");
}

fn fault(why: String) -> Step {
    let mut out = Vec::new();
    hint_close(&mut out);
    Step::End {
        bytes: out,
        fault: Some(why),
    }
}

fn name(command: &Command) -> &str {
    match command {
        Command::Open => "open",
        Command::Syslog => "syslog",
        Command::Close => "close",
        Command::Rsp => "rsp",
        Command::Other(name) => name,
    }
}

/// Checks the client's offers (`name=value,value` lines): `relp_version`
/// must be there, and `syslog` among `commands` when that offer is made.
fn offers(data: &[u8]) -> Result<(), String> {
    let text = String::from_utf8_lossy(data);
    let mut version = false;
    for line in text.split('\n') {
        let (name, values) = line.split_once('=').unwrap_or((line, ""));
        match name {
            "relp_version" => {
                version = values.trim().parse::<u32>().is_ok();
                if !version {
                    return Err(format!("relp_version `{values}` is not a number"));
                }
            }
            "commands" if !values.split(',').any(|c| c == "syslog") => {
                return Err("the client does not offer the syslog command".to_owned());
            }
            _ => {}
        }
    }
    if version {
        Ok(())
    } else {
        Err("no relp_version offer".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(txnr: u32, command: Command, data: &[u8]) -> Frame {
        Frame {
            txnr,
            command,
            data: Bytes::copy_from_slice(data),
        }
    }

    fn open() -> Frame {
        frame(
            1,
            Command::Open,
            b"relp_version=0\nrelp_software=librelp,1.11.0,http://librelp.adiscon.com\ncommands=syslog",
        )
    }

    #[test]
    fn open_is_answered_with_our_offers_then_messages_flow_and_close_ends() {
        let mut s = Session::new();
        let offers = format!("200 OK\nrelp_version=0\nrelp_software={SOFTWARE}\ncommands=syslog");
        assert_eq!(
            s.step(open()),
            Step::Answer(format!("1 rsp {} {offers}\n", offers.len()).into_bytes())
        );
        assert_eq!(
            s.step(frame(2, Command::Syslog, b"<13>hello")),
            Step::Message {
                txnr: 2,
                data: Bytes::from_static(b"<13>hello")
            }
        );
        assert_eq!(
            s.step(frame(3, Command::Other("eventlog".into()), b"x")),
            Step::Answer(b"3 rsp 36 500 command `eventlog` not supported\n".to_vec())
        );
        assert_eq!(
            s.step(frame(0, Command::Other("abort".into()), b"")),
            Step::Nothing
        );
        assert_eq!(
            s.step(frame(4, Command::Close, b"")),
            Step::End {
                bytes: b"4 rsp 0\n0 serverclose 0\n".to_vec(),
                fault: None
            }
        );
    }

    #[test]
    fn the_answers_to_messages() {
        let mut out = Vec::new();
        accepted(&mut out, 7);
        refused(&mut out, 8, "disk full\nreally");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "7 rsp 6 200 OK\n8 rsp 32 500 not stored: disk full really\n"
        );
        let mut out = Vec::new();
        refused(&mut out, 9, &"x".repeat(200));
        assert_eq!(out.len(), "9 rsp 80 ".len() + 80 + 1);
    }

    #[test]
    fn protocol_faults_end_the_session() {
        // A message before `open`.
        let mut s = Session::new();
        match s.step(frame(1, Command::Syslog, b"x")) {
            Step::End { bytes, fault } => {
                assert_eq!(
                    bytes,
                    b"1 rsp 26 500 `syslog` before `open`\n0 serverclose 0\n"
                );
                assert_eq!(fault.as_deref(), Some("`syslog` before `open`"));
            }
            other => panic!("{other:?}"),
        }
        // An `open` without a version.
        let mut s = Session::new();
        assert!(matches!(
            s.step(frame(1, Command::Open, b"commands=syslog")),
            Step::End { fault: Some(f), .. } if f == "no relp_version offer"
        ));
        // A client that will not send syslog.
        let mut s = Session::new();
        assert!(matches!(
            s.step(frame(1, Command::Open, b"relp_version=0\ncommands=eventlog")),
            Step::End { fault: Some(f), .. } if f.contains("syslog command")
        ));
        // A gap in the transaction numbers.
        let mut s = Session::new();
        s.step(open());
        assert!(matches!(
            s.step(frame(3, Command::Syslog, b"x")),
            Step::End { fault: Some(f), .. } if f == "transaction number 3 where 2 was next"
        ));
        // A client answering.
        let mut s = Session::new();
        s.step(open());
        assert!(matches!(
            s.step(frame(2, Command::Rsp, b"200 OK")),
            Step::End { fault: Some(_), .. }
        ));
    }
}
