//! A TCP forwarder on loopback between `cong serve` and PostgreSQL, which a test can take
//! down (every connection cut, new ones refused: a database restart or a network blip, as
//! the server sees it) and bring back on the same port.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

pub struct Proxy {
    port: u16,
    target: SocketAddr,
    up: Arc<AtomicBool>,
    streams: Arc<Mutex<Vec<TcpStream>>>,
    acceptor: Option<JoinHandle<()>>,
}

impl Proxy {
    /// A proxy to `target`, up on a free loopback port.
    pub fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let port = listener.local_addr().expect("proxy addr").port();
        let mut p = Proxy {
            port,
            target,
            up: Arc::new(AtomicBool::new(false)),
            streams: Arc::new(Mutex::new(vec![])),
            acceptor: None,
        };
        p.serve(listener);
        p
    }

    /// A proxy to `target` on a free port, down (nothing listens) until [`Proxy::up`].
    pub fn down_from_start(target: SocketAddr) -> Proxy {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        Proxy {
            port,
            target,
            up: Arc::new(AtomicBool::new(false)),
            streams: Arc::new(Mutex::new(vec![])),
            acceptor: None,
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Cuts every connection and stops listening: connecting is refused.
    pub fn down(&mut self) {
        self.up.store(false, Ordering::SeqCst);
        // Wake the acceptor so that it sees `up` is false and drops the listener.
        let _ = TcpStream::connect_timeout(
            &SocketAddr::from(([127, 0, 0, 1], self.port)),
            Duration::from_millis(200),
        );
        if let Some(h) = self.acceptor.take() {
            let _ = h.join();
        }
        for s in self.streams.lock().expect("streams").drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }

    /// Listens again on the same port.
    pub fn up(&mut self) {
        if self.acceptor.is_some() {
            return;
        }
        let mut tries = 0;
        let listener = loop {
            match TcpListener::bind(("127.0.0.1", self.port)) {
                Ok(l) => break l,
                Err(e) if tries < 50 => {
                    tries += 1;
                    let _ = e;
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(e) => panic!("cannot listen on proxy port {} again: {e}", self.port),
            }
        };
        self.serve(listener);
    }

    fn serve(&mut self, listener: TcpListener) {
        self.up.store(true, Ordering::SeqCst);
        let (up, streams, target) = (self.up.clone(), self.streams.clone(), self.target);
        self.acceptor = Some(std::thread::spawn(move || {
            for client in listener.incoming() {
                if !up.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect(target) else {
                    continue;
                };
                for s in [&client, &server] {
                    if let Ok(c) = s.try_clone() {
                        streams.lock().expect("streams").push(c);
                    }
                }
                pipe(&client, &server);
                pipe(&server, &client);
            }
        }));
    }
}

/// Copies `from` to `to` in a thread until either side closes.
fn pipe(from: &TcpStream, to: &TcpStream) {
    let (Ok(mut from), Ok(mut to)) = (from.try_clone(), to.try_clone()) else {
        return;
    };
    std::thread::spawn(move || {
        let mut buf = [0u8; 16384];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if to.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = to.shutdown(Shutdown::Both);
        let _ = from.shutdown(Shutdown::Both);
    });
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.down();
    }
}
