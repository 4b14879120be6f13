//! Password strength (issue 20): registration, password change and reset refuse
//! passwords that zxcvbn scores below `Limits::password_min_score`, with the code
//! `weak_password` and a reason; strong ones pass; 0 turns the check off.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use chatcore::{Chat, Error, Limits, MemoryStore, Register};

fn chat(limits: Limits) -> Chat {
    Chat::builder(Arc::new(MemoryStore::new()))
        .limits(limits)
        .build()
}

fn reg(name: &str, password: &str) -> Register {
    Register {
        username: name.into(),
        password: password.into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn weak_passwords_are_refused_on_register_and_change() {
    let chat = chat(Limits::default());
    for weak in ["password", "12345678", "        ", "password1"] {
        let err = chat
            .register(reg("weakling", weak), None)
            .await
            .unwrap_err();
        assert_eq!(err.code(), "weak_password", "{weak:?}");
        let Error::WeakPassword { reason } = &err else {
            panic!("{err:?}")
        };
        assert!(!reason.is_empty(), "a reason for {weak:?}");
    }
    let (me, _) = chat
        .register(reg("strong", "correct horse battery"), None)
        .await
        .unwrap();
    let err = chat
        .change_password(me.user.id, None, "correct horse battery", "12345678")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "weak_password");
    chat.change_password(
        me.user.id,
        None,
        "correct horse battery",
        "violet tram cellar ninety",
    )
    .await
    .unwrap();
    chat.login("strong", "violet tram cellar ninety", None)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_score_of_zero_turns_the_check_off() {
    let chat = chat(Limits {
        password_min_score: 0,
        ..Limits::default()
    });
    chat.register(reg("lenient", "password"), None)
        .await
        .unwrap();
}
