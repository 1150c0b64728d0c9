"""The sign-in page (a form that works without JavaScript, at any width) and the pages the
sign-in flow shows: "check your email", and who is signed in with the sign-out buttons."""

from __future__ import annotations

from grove.models import TenantConfig
from grove.pages.escape import escape
from grove.pages.layout import document


def _hidden_next(next_path: str) -> str:
    return f'<input type="hidden" name="next" value="{escape(next_path)}">'


def sign_in_page(config: TenantConfig | None, *, next_path: str, signed_in_as: str | None = None, notice: str | None = None) -> str:
    notice_html = f'<p class="notice" role="status">{escape(notice)}</p>' if notice else ""
    if signed_in_as is not None:
        main = (
            f"<h1>Signed in</h1>{notice_html}<p>You are signed in as <strong>{escape(signed_in_as)}</strong>.</p>"
            '<form method="post" action="/auth/sign-out"><button type="submit">Sign out</button></form>'
            '<form method="post" action="/auth/sign-out?everywhere=1">'
            '<button type="submit" class="secondary">Sign out everywhere</button></form>'
        )
    else:
        main = (
            f"<h1>Sign in</h1>{notice_html}"
            "<p>Enter your email address and we will send you a link that signs you in. "
            "New here? The same link creates your account.</p>"
            '<form method="post" action="/auth/sign-in" class="sign-in">'
            '<label for="email">Email</label>'
            '<input id="email" name="email" type="email" autocomplete="email" required maxlength="254"'
            '>'
            f"{_hidden_next(next_path)}"
            '<p><button type="submit">Email me a sign-in link</button></p></form>'
        )
    return document(config, title="Sign in", description="Sign in to Grove", main=main)


def link_sent_page(config: TenantConfig | None, *, email: str) -> str:
    main = (
        "<h1>Check your email</h1>"
        f"<p>If <strong>{escape(email)}</strong> can receive mail, a sign-in link is on its way. "
        "It works once, for 15 minutes.</p>"
        '<p class="meta"><a href="/auth/sign-in">Use another address</a></p>'
    )
    return document(config, title="Check your email", description="A sign-in link is on its way", main=main)


def sign_in_email(*, link: str, site_name: str) -> tuple[str, str, str]:
    """Subject, text and HTML of the sign-in email."""
    subject = f"Your sign-in link for {site_name}"
    text = f"Sign in to {site_name}:\n\n{link}\n\nThe link works once, for 15 minutes. If you did not ask for it, ignore this email.\n"
    html = (
        f"<p>Sign in to {escape(site_name)}:</p><p><a href=\"{escape(link)}\">Sign in</a></p>"
        "<p>The link works once, for 15 minutes. If you did not ask for it, ignore this email.</p>"
    )
    return subject, text, html


def invite_email(*, link: str, blog_name: str, role: str, inviter: str) -> tuple[str, str, str]:
    subject = f"{inviter} invited you to write for {blog_name}"
    text = (
        f"{inviter} invited you to {blog_name} as {role}.\n\nSign in to accept:\n\n{link}\n\n"
        "The link works once, for 15 minutes; after that, sign in with this address any time in "
        "the next 14 days and the invitation is waiting.\n"
    )
    html = (
        f"<p>{escape(inviter)} invited you to {escape(blog_name)} as {escape(role)}.</p>"
        f"<p><a href=\"{escape(link)}\">Sign in to accept</a></p>"
        "<p>The link works once, for 15 minutes; after that, sign in with this address any time in the next 14 days.</p>"
    )
    return subject, text, html
