"""Signals other parts of Clearway listen to, sent inside the change's own transaction.

``referral_changed`` follows every event written for one referral (a report received, a
discharge, a correction); ``referrals_added`` follows a list of children added at once. The
contact worklist listens to both, so its tasks always match the pathway (a report received
closes its chase; a discharge or death closes every task) in the same transaction.
"""

from django.dispatch import Signal

#: Sent with ``referral`` after an event for it is written.
referral_changed = Signal()
#: Sent with ``referrals`` (a list) after they are added together.
referrals_added = Signal()
