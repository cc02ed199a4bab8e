pub mod clients {
    include!(concat!(env!("OUT_DIR"), "/clients.rs"));
}
