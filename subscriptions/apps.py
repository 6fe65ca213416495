from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "subscriptions"

    def ready(self):
        # The publication domain announces go-lives and ticks with signals;
        # this app listens (commentaries never imports subscriptions).
        from anymail.signals import tracking

        from commentaries.signals import piece_went_live, tick
        from pacforum import object_tools

        from .admin_editions import piece_tools
        from .tasks import on_piece_went_live, resume_editions
        from .webhooks import on_tracking

        piece_went_live.connect(on_piece_went_live, dispatch_uid="subscriptions-editions")
        tracking.connect(on_tracking, dispatch_uid="subscriptions-anymail-tracking")
        tick.connect(resume_editions, dispatch_uid="subscriptions-resume-editions")
        # Send on demand is a button on the piece's admin page, which
        # commentaries renders from the registry without importing this app.
        object_tools.register("commentaries.commentary", piece_tools, uid="subscriptions-send")
