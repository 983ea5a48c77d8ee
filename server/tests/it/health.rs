use crate::support::{Backend, TestApp};

async fn healthz_answers_200_when_the_database_does(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let res = crate::support::get(app.url("/healthz")).await.expect("request");
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "ok");
}

async fn unknown_pages_are_404_with_a_page(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, html) = app.get_html(&app.client(), "/no/such/page").await;
    assert_eq!(status, 404);
    assert!(html.contains("Page not found"), "{html}");
}

crate::on_both_databases!(healthz_answers_200_when_the_database_does, unknown_pages_are_404_with_a_page);
