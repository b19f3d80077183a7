def test_me(api):
    r = api.get("/me")
    assert r.status_code == 200
    assert r.json()["email"] == "ada@acme.test"
