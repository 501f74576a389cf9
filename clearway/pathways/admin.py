from django.contrib import admin

from clearway.core.admin import ReadOnlyAdmin
from clearway.pathways.models import Carer, Consultant, Event, Patient, Referral, School


@admin.register(Consultant)
class ConsultantAdmin(admin.ModelAdmin):
    list_display = ("name", "active")


@admin.register(School)
class SchoolAdmin(admin.ModelAdmin):
    list_display = ("name", "phone", "email")
    search_fields = ("name",)


class CarerInline(admin.TabularInline):
    model = Carer
    extra = 0


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ("family_name", "given_name", "nhs_number", "hospital_number", "birth_date")
    search_fields = ("family_name", "given_name", "nhs_number", "hospital_number")
    inlines = [CarerInline]


@admin.register(Referral)
class ReferralAdmin(ReadOnlyAdmin):
    list_display = ("patient", "received_on", "status", "consultant")
    list_filter = ("status", "consultant")
    search_fields = ("patient__family_name", "patient__nhs_number")


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ("referral", "kind", "effective", "recorded_at", "actor_name")
    list_filter = ("kind",)
