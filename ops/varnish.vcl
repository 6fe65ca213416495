vcl 4.1;
# Varnish in front of pacforum's application nodes (README, "Production:
# invalidation and the edge"). Needs vmod-xkey (Debian: varnish-modules).
#
# - Anonymous GET/HEAD requests are answered from the cache; requests with a
#   session (logged-in staff) or waiting messages always go to the application.
# - Only responses the application marks cacheable for shared caches, with
#   their cache keys in `xkey`, are kept: never one that sets a cookie or is
#   private. Their lifetime is the application's `s-maxage`.
# - The application purges by key (`PURGE /` with `xkey-purge: <keys>`) when
#   content changes (pacforum/edge.py); `xkey` never reaches the browser.
#
# Set the backend (one per application node, or a director) and the purgers
# (the application nodes' addresses) for your deployment. The tests run this
# file with the backend's port replaced (tests/pacforum/test_edge_varnish.py).

import std;
import xkey;

backend default {
    .host = "127.0.0.1";
    .port = "8000";
}

# Who may purge: the application nodes (their task workers send the purges).
acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Not allowed."));
        }
        if (!req.http.xkey-purge) {
            return (synth(400, "No xkey-purge header."));
        }
        set req.http.n-gone = xkey.purge(req.http.xkey-purge);
        return (synth(200, "Purged " + req.http.n-gone + " objects."));
    }
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    if (req.url ~ "^/admin/" || req.http.Authorization) {
        return (pass);
    }
    # A session (staff) or messages waiting for this reader: their pages are
    # their own.
    if (req.http.Cookie ~ "(^|;\s*)(sessionid|messages)=") {
        return (pass);
    }
    # Any other cookie (the CSRF token, analytics) does not change a public
    # page; dropping it lets every anonymous reader share one copy.
    unset req.http.Cookie;
    return (hash);
}

sub vcl_hash {
    # The application caches http and https apart (absolute links in pages).
    hash_data(req.http.X-Forwarded-Proto);
}

sub vcl_backend_response {
    if (beresp.http.Set-Cookie
        || beresp.http.Cache-Control ~ "(private|no-store|no-cache)"
        || (!beresp.http.xkey && bereq.url !~ "^/static/")) {
        # Not for anyone else: remember for two minutes to pass such requests
        # straight through (hit-for-miss), never store the response.
        set beresp.uncacheable = true;
        set beresp.ttl = 120s;
        return (deliver);
    }
    # A page past its lifetime may be served for a minute while Varnish
    # fetches it again (the application's stale-while-revalidate); a purged
    # page never is.
    set beresp.grace = 60s;
    return (deliver);
}

sub vcl_deliver {
    unset resp.http.xkey;
    unset resp.http.Cache-Tag;
    if (obj.hits > 0) {
        set resp.http.X-Edge = "hit";
    } else {
        set resp.http.X-Edge = "miss";
    }
}
