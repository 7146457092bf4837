import pytest
from apps.accounts.models import User
pytestmark = pytest.mark.django_db

def test_probe(cast, api, tree, settings, client):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    r = api.get("/api/v1/nothing/")
    print("unknown", r.status_code, r["Content-Type"])
    r = api.get("/api/v1/sites/99999/")
    print("404", r.status_code, r.content)
    r = api.delete(f"/api/v1/sites/{tree.town1.pk}/")
    print("delete", r.status_code, r.content)
    # username = someone else's mobile
    r = api.post("/api/v1/auth/register/", {"username": "13600000001", "password": "Str0ng-pass!", "mobile": "13811112222", "site": tree.village1.pk}, format="json")
    print("reg mobile-as-username", r.status_code, r.content[:300])
    r = api.post("/api/v1/auth/register/", {"username": "bad name/x", "password": "Str0ng-pass!", "mobile": "13811113333", "site": tree.village1.pk}, format="json")
    print("reg bad username", r.status_code, r.content[:300])
    r = api.post("/api/v1/auth/register/", {"username": "x", "password": "Str0ng-pass!", "mobile": "13811114444", "site": "abc"}, format="json")
    print("reg bad site", r.status_code, r.content.decode()[:300])
    r = api.post("/api/v1/auth/register/", {"username": "y", "password": "Str0ng-pass!", "mobile": "13811115555", "site": tree.town1.pk}, format="json")
    print("reg township", r.status_code, r.content.decode()[:300])
    r = api.post("/api/v1/auth/register/", {"username": "z", "password": "password", "mobile": "12345", "site": tree.village1.pk}, format="json")
    print("reg weak", r.status_code, r.content.decode()[:600])
    r = api.post("/api/v1/auth/token/", {"username": "13600000001", "password": "demo12345"}, format="json")
    print("res1 by mobile", r.status_code, r.content.decode()[:300])
    r = client.post("/accounts/register/", {"username": "w", "mobile": "13811116666", "site": tree.town1.pk, "password1": "Str0ng-pass!", "password2": "Str0ng-pass!"})
    print("page township", r.status_code, r.context["form"].errors)
    r = client.post("/accounts/register/", {"username": "res1", "mobile": "13600000001", "site": tree.village1.pk, "password1": "12345678", "password2": "12345678"})
    print("page dup", r.status_code, r.context["form"].errors)
